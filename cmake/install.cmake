# What `cmake --install` puts in place beyond the libraries' own rules
# (userspace/lib, userspace/vulkan, userspace/cli install their targets,
# headers, pkg-config and CMake files): the man pages, the udev rule and
# sysusers.d file that give /dev/dmabridge to the dmabridge group, and,
# with DBR_INSTALL_DKMS, the module's source for DKMS. docs/install.md.
include(GNUInstallDirs)

# Relative directories are under CMAKE_INSTALL_PREFIX (with /usr or
# /usr/local, places udev and systemd-sysusers read).
set(DBR_UDEV_RULES_DIR "lib/udev/rules.d" CACHE STRING
    "Where the udev rules go (relative: under the prefix)")
set(DBR_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING
    "Where the sysusers.d file declaring the dmabridge group goes (relative: under the prefix)")
option(DBR_INSTALL_DKMS
  "Install the module's source and dkms.conf into <prefix>/src/dmabridge-<version> (DKMS's /usr/src with prefix /usr)"
  OFF)
set(DBR_DKMS_DIR "src/dmabridge-${PROJECT_VERSION}" CACHE STRING
    "Where the DKMS source tree goes (relative: under the prefix)")

# man pages: dmabridge(1) (the command), libdmabridge's (3), dmabridge(4)
foreach(sec 1 3 4)
  file(GLOB _pages CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/*.${sec})
  if(_pages)
    install(FILES ${_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${sec})
  endif()
endforeach()

# every rule in udev/ (60-dmabridge-access.rules, ...) and the group
file(GLOB _rules CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/udev/*.rules)
install(FILES ${_rules} DESTINATION ${DBR_UDEV_RULES_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/udev/dmabridge.sysusers
        DESTINATION ${DBR_SYSUSERS_DIR} RENAME dmabridge.conf)

# The DKMS source tree: dkms.conf at the top, kmod/ and the UAPI header
# as in this repository, so kmod/Kbuild builds there unchanged. Component
# dkms: installed by default only with DBR_INSTALL_DKMS, but always with
# `cmake --install BUILD --component dkms` (tests/pkg/dkms-build).
configure_file(${PROJECT_SOURCE_DIR}/kmod/dkms.conf
               ${PROJECT_BINARY_DIR}/dkms/dkms.conf @ONLY)
if(DBR_INSTALL_DKMS)
  set(_dkms_all "")
else()
  set(_dkms_all EXCLUDE_FROM_ALL)
endif()
file(GLOB _kmod_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/kmod/*.c
     ${PROJECT_SOURCE_DIR}/kmod/*.h)
install(FILES ${PROJECT_BINARY_DIR}/dkms/dkms.conf
        DESTINATION ${DBR_DKMS_DIR} COMPONENT dkms ${_dkms_all})
install(FILES ${PROJECT_SOURCE_DIR}/kmod/Kbuild ${PROJECT_SOURCE_DIR}/kmod/compat.mk
              ${_kmod_src}
        DESTINATION ${DBR_DKMS_DIR}/kmod COMPONENT dkms ${_dkms_all})
install(FILES ${PROJECT_SOURCE_DIR}/include/uapi/linux/dmabridge.h
        DESTINATION ${DBR_DKMS_DIR}/include/uapi/linux COMPONENT dkms ${_dkms_all})
