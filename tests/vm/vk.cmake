# VM test of the Vulkan loader (issue 19): libdmabridge_vk's error paths and
# the streamer's ordering (vk_errors), then samples/vk-loader on lavapipe in
# the three loading modes: direct and compat pixel-exact against the
# staging reference, GPU checksums equal to the files', no CPU copy on the
# direct path, and the KTX2 parser's refusals (tests/vm/cases/vk-loader).
#
# One boot, 6.12 with IOMMU strict: the suite is over its time budget, and
# lavapipe under TCG is slow (its first run compiles the pipelines with
# LLVM; the case keeps a shader cache in tmpfs, and mounts the filesystem
# again rather than dropping all caches, so the libraries stay read).
# Measured 2026-12-03: 53 s for the whole CTest run, boot included, at load
# average 2.5 on 2 cores (84 s while every run dropped the page cache; 586 s
# at load average 25, with eight other guests on the host). 6.1 is left
# out: Debian's 6.1 has no udmabuf, so lavapipe cannot export dma-bufs
# there and the case would only skip.
dbr_vm_test(NAME vk-loader KERNELS 6.12 IOMMU strict TIMEOUT 600)

# libdmabridge_vk's error paths on the host's lavapipe (no /dev/udmabuf on
# the build machines: export is refused there, and the helper must say so;
# the guest case runs the same tool where export works).
if(TARGET vk_errors)
  add_test(NAME unit/vk_errors COMMAND vk_errors)
  set_tests_properties(unit/vk_errors PROPERTIES LABELS unit SKIP_RETURN_CODE 77
    ENVIRONMENT "VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json")
endif()

# The sample's SPIR-V is checked in (samples/vk-loader/spirv/*.h) and must
# match its GLSL: the GLSL's SHA-256 recorded in each header always, and
# the SPIR-V itself byte for byte when the glslang here is the version
# that made it (samples/vk-loader/spirv.cmake). Needs no Vulkan.
find_program(DBR_GLSLANG glslangValidator)
set(_glslang "")
if(DBR_GLSLANG)
  set(_glslang -DGLSLANG=${DBR_GLSLANG})
endif()
add_test(NAME unit/vk-loader-spirv
  COMMAND ${CMAKE_COMMAND} -DMODE=check ${_glslang}
          -P ${PROJECT_SOURCE_DIR}/samples/vk-loader/spirv.cmake)
set_tests_properties(unit/vk-loader-spirv PROPERTIES LABELS unit)
