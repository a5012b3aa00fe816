# dbr_kmod(NAME n SERIES s RELEASE r SRC dir OUT dir [DEPENDS ...])
# Builds the Kbuild module in SRC against the headers of kernel RELEASE
# (unpacked by scripts/setup into DBR_CACHE, else /lib/modules/RELEASE/build) into OUT. Kbuild decides what is stale, so
# the target always runs make.
function(dbr_kmod)
  cmake_parse_arguments(K "" "NAME;SERIES;RELEASE;SRC;OUT" "DEPENDS" ${ARGN})
  set(kdir ${DBR_CACHE}/kernels/${K_RELEASE}/usr/src/linux-headers-${K_RELEASE})
  if(NOT EXISTS ${kdir}/Makefile)
    set(kdir /lib/modules/${K_RELEASE}/build)
  endif()
  if(NOT EXISTS ${kdir}/Makefile)
    message(FATAL_ERROR "no headers for kernel ${K_RELEASE} at ${kdir}: run ./scripts/setup")
  endif()
  add_custom_target(kmod-${K_NAME}-${K_SERIES} ALL
    COMMAND ${CMAKE_COMMAND} -E make_directory ${K_OUT}
    COMMAND ${CMAKE_COMMAND} -E env DBR_KBUILD_LOG=${K_OUT}/kbuild.log
            ${PROJECT_SOURCE_DIR}/scripts/kbuild ${K_SRC} ${kdir} ${K_OUT} modules
    COMMENT "Kbuild ${K_NAME}.ko for ${K_RELEASE}"
    VERBATIM)
  if(K_DEPENDS)
    add_dependencies(kmod-${K_NAME}-${K_SERIES} ${K_DEPENDS})
  endif()
endfunction()
