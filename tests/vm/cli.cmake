# VM tests of the dmabridge command (issue 20). tests/vm/cases/cli-suite
# runs every cli-* case in one boot: 6.12 (udmabuf, vgem and lavapipe's
# Vulkan exports exist there; Debian's 6.1 has no udmabuf), the IOMMU off,
# with the rig's ivshmem BAR (--p2p-bar) for bench's peer-to-peer
# exporter. One boot, to keep the suite's time. Measured on the shared
# 2-core machine at load average 22-28 (so an upper bound): 780 s of cases
# (check 131, list 42, stats 103, cp 257, bench 124, bind 123); COST is
# a guess for a fresh machine.
dbr_vm_test(NAME cli-suite KERNELS 6.12 RUN_ARGS --p2p-bar 64 TIMEOUT 1500
            COST 450)
