# vellum_module(NAME <name> DIR <dir> [DEPS ...])
#
# One static library per layer folder. Sources are the folder's .cc files
# (tests live under tests/<module>/, never beside the code), so adding a file
# to a layer needs no build edit; CONFIGURE_DEPENDS re-globs on every build.
function(vellum_module)
  cmake_parse_arguments(M "" "NAME;DIR" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS "${M_DIR}/*.cc")
  if(srcs)
    add_library(${M_NAME} STATIC ${srcs})
    target_include_directories(${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${M_NAME} PUBLIC ${M_DEPS})
  else()  # a layer with headers only so far
    add_library(${M_NAME} INTERFACE)
    target_include_directories(${M_NAME} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${M_NAME} INTERFACE ${M_DEPS})
  endif()
endfunction()

# vellum_test(NAME <name> DIR <dir> [LABEL <label>] [BENCH <gtest filter>] DEPS ...)
#
# One GoogleTest binary per tests/<module>/ folder; every TEST becomes its own
# CTest case so a failure names the test, and labels allow `ctest -L unit`.
# Tests matching BENCH (e.g. "CliBench*") are labelled "<label>-bench" instead
# (one label: gtest_discover_tests cannot pass a list before CMake 3.28). As
# ctest -L/-LE take regular expressions, `ctest -L integration` still runs them
# and `ctest -LE bench` leaves out the tests that measure rather than check.
function(vellum_test)
  cmake_parse_arguments(T "" "NAME;DIR;LABEL;BENCH" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${T_DIR}/*.cc")
  if(NOT srcs)
    return()
  endif()
  add_executable(${T_NAME} ${srcs})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} vellum_testing GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT T_LABEL)
    set(T_LABEL unit)
  endif()
  if(T_BENCH)
    gtest_discover_tests(${T_NAME} TEST_FILTER "-${T_BENCH}" PROPERTIES LABELS ${T_LABEL} DISCOVERY_TIMEOUT 60)
    gtest_discover_tests(${T_NAME} TEST_FILTER "${T_BENCH}" PROPERTIES LABELS "${T_LABEL}-bench"
                         DISCOVERY_TIMEOUT 60)
  else()
    gtest_discover_tests(${T_NAME} PROPERTIES LABELS ${T_LABEL} DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
