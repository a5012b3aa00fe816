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

# Suite cases on the debug kernel, IOMMU strict: DMA goes through real IOMMU
# mappings, where DMA-API misuse would corrupt data. token-suite includes
# token-kill. Measured on 2 cores with other guests running (load ~9):
# token-suite 37.6 min in full, nvme-fio 7.4 min, nvme-unbind-load 4.6
# min. To fit the suite's budget the token suite runs here without
# token-stats (counters, no new code path) and without the exporter whose
# every page is its own run (pages:1:reverse; the stock kernels run it):
# udmabuf, vgem, the test exporter's 64 KiB chunks and the page-less BAR,
# on ext4, xfs and the raw disk.
dbr_vm_test(NAME token-suite KERNELS 6.12-debug IOMMU strict
            RUN_ARGS --p2p-bar 64 TIMEOUT 3600
            ENV DBR_TEST_TOKEN_CASES=token-read-fs,token-holes,token-errno,token-leak,token-async,token-kill
                DBR_TEST_TOKEN_EXPORTERS=udmabuf,vgem,pages:16,bar:16:reverse)
# Controller removal under token load (defect 2's use after free is what
# KASAN sees here): 10 rounds instead of the stock kernels' 50.
dbr_vm_test(NAME token-unbind KERNELS 6.12-debug IOMMU strict TIMEOUT 1200
            ENV DBR_TEST_UNBIND_ROUNDS=10)
dbr_vm_test(NAME nvme-fio KERNELS 6.12-debug IOMMU strict TIMEOUT 1200)
dbr_vm_test(NAME nvme-unbind-load KERNELS 6.12-debug IOMMU strict TIMEOUT 900)
