# dbr_vm_test(NAME n CASE script [KERNELS 6.1 6.12] [IOMMU off strict]
#             [RUN_ARGS ...] [TIMEOUT s] [COST s] [LABELS ...]
#             [ENV DBR_TEST_X=v ...])
# Registers one CTest test per kernel and IOMMU mode, named
# vm/<n>/<kernel>/<iommu>, that boots the guest with tests/vm/run and runs
# tests/vm/cases/<script> inside it. Kernels the build has no modules for
# (not in DBR_TEST_SERIES) are left out. ENV: DBR_TEST_* knobs, which
# tests/vm/run hands to the guest. COST: the seconds the test takes on a
# fresh machine, so that a build without CTest's timing history (a fresh
# clone) starts the longest tests first at -j2 instead of last.
set(DBR_VM_RUN ${PROJECT_SOURCE_DIR}/tests/vm/run)

function(dbr_vm_test)
  cmake_parse_arguments(T "" "NAME;CASE;TIMEOUT;COST" "KERNELS;IOMMU;RUN_ARGS;LABELS;ENV" ${ARGN})
  if(NOT T_KERNELS)
    set(T_KERNELS 6.1 6.12)
  endif()
  if(NOT T_IOMMU)
    set(T_IOMMU off)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 240)
  endif()
  if(NOT T_CASE)
    set(T_CASE ${T_NAME})
  endif()
  foreach(k IN LISTS T_KERNELS)
    if(NOT k IN_LIST DBR_TEST_SERIES)
      continue()
    endif()
    foreach(i IN LISTS T_IOMMU)
      set(name vm/${T_NAME}/${k}/${i})
      add_test(NAME ${name}
        COMMAND ${DBR_VM_RUN} --kernel ${k} --iommu ${i} --timeout ${T_TIMEOUT}
                ${T_RUN_ARGS} -- ${PROJECT_SOURCE_DIR}/tests/vm/cases/${T_CASE})
      set_tests_properties(${name} PROPERTIES
        LABELS "vm;${T_LABELS}"
        SKIP_RETURN_CODE 77
        TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT "DBR_BUILD=${PROJECT_BINARY_DIR};DBR_CACHE=${DBR_CACHE};${T_ENV}")
      if(T_COST)
        set_tests_properties(${name} PROPERTIES COST ${T_COST})
      endif()
    endforeach()
  endforeach()
endfunction()

# dbr_rig_test(NAME n SCRIPT path [ARGS ...] [TIMEOUT s] [LABELS ...]): a
# host-side script that drives tests/vm/run itself (to prove the rig can
# fail).
function(dbr_rig_test)
  cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT" "ARGS;LABELS" ${ARGN})
  # a CMake list in ENVIRONMENT would split into several variables
  string(REPLACE ";" " " _series "${DBR_TEST_SERIES}")
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  add_test(NAME rig/${T_NAME} COMMAND ${T_SCRIPT} ${T_ARGS})
  set_tests_properties(rig/${T_NAME} PROPERTIES
    LABELS "vm;rig;${T_LABELS}"
    SKIP_RETURN_CODE 77
    TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "DBR_BUILD=${PROJECT_BINARY_DIR};DBR_CACHE=${DBR_CACHE};DBR_TEST_SERIES=${_series}")
endfunction()
