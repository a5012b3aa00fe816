# NVMe driver (issue 3) VM tests: both kernels, IOMMU off and strict.
# Each case combines several steps to keep VM boots few (see docs/driver.md).
dbr_vm_test(NAME nvme-fs KERNELS 6.1 6.12 IOMMU off strict TIMEOUT 300)
# nvme-fio and nvme-unbind-load under IOMMU strict run on 6.1 and on the
# debug lane's 6.12 (tests/vm/debug.cmake), which makes stock 6.12 strict
# redundant for them: it is left out to keep the suite within its budget.
dbr_vm_test(NAME nvme-fio KERNELS 6.1 6.12 IOMMU off TIMEOUT 400)
dbr_vm_test(NAME nvme-fio-strict CASE nvme-fio KERNELS 6.1 IOMMU strict TIMEOUT 400)
dbr_vm_test(NAME nvme-cli KERNELS 6.1 6.12 IOMMU off strict TIMEOUT 200 LABELS quick)
dbr_vm_test(NAME nvme-unbind-load KERNELS 6.1 6.12 IOMMU off TIMEOUT 300)
dbr_vm_test(NAME nvme-unbind-load-strict CASE nvme-unbind-load KERNELS 6.1 IOMMU strict TIMEOUT 300)
# Bounce buffering: data is only right if every mapping is synced and PRP
# segments keep their page offset through swiotlb (dma_set_min_align_mask).
dbr_vm_test(NAME nvme-fio-swiotlb CASE nvme-fio KERNELS 6.1 6.12 IOMMU off TIMEOUT 400 RUN_ARGS --swiotlb-force)
# Timeout -> Abort -> reset, with a completion dropped on purpose.
dbr_vm_test(NAME nvme-timeout KERNELS 6.1 6.12 IOMMU off TIMEOUT 200)
# The controller stops answering under load (a surprise removal as the
# driver sees it): I/O fails, the controller is given up, nothing hangs.
dbr_vm_test(NAME nvme-vanish KERNELS 6.1 6.12 IOMMU off strict TIMEOUT 240)
