# VM tests of the dmabridge command (issue 20). tests/vm/cases/cli-suite
# runs every cli-* case in one boot: 6.12 (udmabuf, vgem and lavapipe's
# Vulkan exports exist there; Debian's 6.1 has no udmabuf), the IOMMU off,
# with the rig's ivshmem BAR (--p2p-bar) for bench's peer-to-peer
# exporter. One boot, to keep the suite's time. Measured on the shared
# 2-core machine: 164 s from boot to power-off at load average 2-5 (cases:
# check 24, list 3, stats 7, cp 46, bench 32, bind 31 s); 780 s of cases at
# load 22-28, hence the generous TIMEOUT.
dbr_vm_test(NAME cli-suite KERNELS 6.12 RUN_ARGS --p2p-bar 64 TIMEOUT 1500
            COST 165)
