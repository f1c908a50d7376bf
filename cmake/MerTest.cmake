# mer_add_test(NAME SOURCES... LIBS ...): one GoogleTest executable per test file, registered with ctest
# through gtest_discover_tests. Tests find committed fixtures via MER_TEST_DATA_DIR, ../shared via MER_SHARED_DIR
# and the built `mer` binary via MER_BINARY.
include(GoogleTest)
function(mer_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} mer_test_support GTest::gtest GTest::gtest_main)
  mer_warnings(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1")
endfunction()
