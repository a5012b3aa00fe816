# VM test of the Vulkan loader (issue 19): samples/vk-loader on lavapipe in
# the three loading modes, identical PNGs, GPU checksums equal to the
# files', and the KTX2 parser's refusals (tests/vm/cases/vk-loader).
#
# One boot, 6.12 with IOMMU strict: the suite is over its time budget, and
# lavapipe under TCG is slow (its first run compiles the pipelines with
# LLVM, about 50 s; the case keeps a shader cache in tmpfs so the other
# runs take 10-20 s). Measured: 102 s for the whole CTest run, boot
# included, at load average about 15 on 2 cores. 6.1 is left out: Debian's 6.1 has no udmabuf, so lavapipe
# cannot export dma-bufs there and the case would only skip.
dbr_vm_test(NAME vk-loader KERNELS 6.12 IOMMU strict TIMEOUT 600)

# libdmabridge_vk's error paths on the host's lavapipe (no /dev/udmabuf on
# the build machines: export is refused there, and the helper must say so;
# the guest case runs the same tool where export works).
if(TARGET vk_errors)
  add_test(NAME unit/vk_errors COMMAND vk_errors)
  set_tests_properties(unit/vk_errors PROPERTIES LABELS unit SKIP_RETURN_CODE 77
    ENVIRONMENT "VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json")
endif()
