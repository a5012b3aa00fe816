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

# The rig proves each kind of report fails a run, one boot per kind, and that
# the same module loaded without a bug passes (tests/rig/debug-report.sh).
foreach(kind clean kasan lockdep sleep rcu dma leak)
  dbr_rig_test(NAME debug-report/${kind} SCRIPT ${_rig}/debug-report.sh
               ARGS ${kind} TIMEOUT 600)
endforeach()
