# mer_add_test(NAME SOURCES... LIBS ...): one GoogleTest executable per test file, registered with ctest
# through gtest_discover_tests. Tests find committed fixtures via MER_TEST_DATA_DIR, ../shared via MER_SHARED_DIR
# and the built `mer` binary via MER_BINARY.
include(GoogleTest)
function(mer_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} mer_test_support GTest::gtest GTest::gtest_main)
  mer_warnings(${name})
  # A test counts as skipped only when it says why with MER-SKIP: (MER_SKIP in tests/support/test_support.h).
  # CMake's default, any "[  SKIPPED ]" line, also matched a suite whose SetUpTestSuite failed (gtest then skips its
  # tests and exits 1), so a broken fixture read as skipped rather than failed.
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "OMP_NUM_THREADS=1" SKIP_REGULAR_EXPRESSION "MER-SKIP:")
endfunction()
