# The debug lane (issue 16): 6.12-debug, Debian's linux-source-6.12 built by
# scripts/setup with tests/vm/debug-6.12.config: KASAN, lockdep,
# DMA-API debugging (filtered to dmabridge), kmemleak (scanned at the end of
# every run), debugobjects. tests/vm/run fails a run on any of their
# reports. Included from tests/. A build without 6.12-debug (DBR_KERNELS
# without it) leaves the cases out, and the rig tests skip.
#
# Every boot costs more here: under TCG the debug kernel reaches its init in
# ~50 s (the stock one in ~15 s) and the two kmemleak scans at the end take
# ~35 s; the timeouts below are measured times with room for two guests
# sharing the machine's two cores (see docs/testing.md).
set(_rig ${PROJECT_SOURCE_DIR}/tests/rig)

# The rig proves each kind of report fails a run, all six in one boot
# (tests/rig/debug-report.sh all: each kind is told apart in that run's
# kernel log by tests/vm/run's own classifier, between numbered markers;
# ~140 s beside another debug guest, where one boot per kind took ~70 s
# each). The same boot checks that --kernel 6.12-debug boots this kernel
# (tests/rig/uname.sh leaves it out). `debug-report.sh KIND...` still runs
# one boot per kind by hand. The control (the module loaded without a bug
# passes: debug-report.sh clean) is left out of the default suite: every
# suite case below passing on this kernel is that control.
dbr_rig_test(NAME debug-report SCRIPT ${_rig}/debug-report.sh ARGS all TIMEOUT 900)

# The suite's cases on the debug kernel, IOMMU strict (DMA goes through
# real IOMMU mappings, where DMA-API misuse would corrupt data), in one boot
# (tests/vm/cases/suite; a debug boot with its kmemleak scans costs ~90 s):
# - rig-iommu: the rig's check of the IOMMU mode;
# - nvme-fio with 16 MiB per fio job instead of 48: every path it takes
#   (SGL, SGL-always, PRP with MMIO doorbells, reset under load) is taken
#   as often as KASAN and DMA-API debugging need within 16 MiB; the rest
#   only adds time;
# - nvme-unbind-load;
# - token-unbind, 6 rounds instead of the stock kernels' 50 (defect 2's
#   use after free is what KASAN sees here, in any round: each unbinds
#   under four processes' reads; 10 rounds took about 200 s of the budget);
# - token-suite (which includes token-kill) without token-stats (counters,
#   no code path of their own) and with the exporters issue 16 names:
#   udmabuf, vgem and the page-less BAR (not the test exporter's chunked or
#   per-page buffers, which the stock kernels run; token-holes, -async and
#   -kill still use its pages for their own checks), on ext4, xfs and the
#   raw disk;
# - token-fuzz, the UAPI fuzz (tests/vm/token.cmake describes it), whose
#   KASAN, lockdep, DMA-API and kmemleak checks are the point of it here.
#   It had a boot of its own beside this one; in this boot it saves the
#   debug kernel's boot, its kmemleak scans and the filesystems' set-up
#   (about 150 s of the suite's budget): with two cores CTest's total is
#   the sum of the guests' times over two, not the longest test.
# Measured on 2 cores beside other guests (load ~9, so upper bounds),
# before the trim: token-suite 37.6 min in full, nvme-fio 7.4 min,
# nvme-unbind-load 4.6 min; now: docs/testing.md, "What covers what".
dbr_vm_test(NAME debug-suite CASE suite KERNELS 6.12-debug IOMMU strict
            RUN_ARGS --p2p-bar 64 TIMEOUT 3600 COST 1450
            ENV DBR_TEST_SUITE_CASES=rig-iommu,nvme-fio,nvme-unbind-load,token-unbind,token-suite,token-fuzz
                DBR_TEST_FIO_SIZE=16M DBR_TEST_UNBIND_ROUNDS=6
                DBR_TEST_TOKEN_CASES=token-read-fs,token-holes,token-errno,token-leak,token-async,token-kill
                DBR_TEST_TOKEN_EXPORTERS=udmabuf,vgem,bar:16:reverse)
