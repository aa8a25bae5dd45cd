# Runs one shard of a test binary once, with LAGM_TEST_RESULTS_DIR set so that it leaves one result
# file per test (tests/support/test_main.cpp), and keeps its whole output in shard.log beside them.
# Failing tests do not fail this step: their own CTest entries report them. Only a binary that
# stops abnormally (crash, abort, exit code other than 0 or 1) fails it.
#   cmake -DBINARY=... -DRESULTS_DIR=... -DSHARD=k -DSHARDS=n -P run_test_binary.cmake
file(REMOVE_RECURSE "${RESULTS_DIR}")
file(MAKE_DIRECTORY "${RESULTS_DIR}")
set(ENV{LAGM_TEST_RESULTS_DIR} "${RESULTS_DIR}")
set(ENV{GTEST_SHARD_INDEX} "${SHARD}")
set(ENV{GTEST_TOTAL_SHARDS} "${SHARDS}")
execute_process(COMMAND "${BINARY}" --gtest_color=no
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
file(WRITE "${RESULTS_DIR}/shard.log" "${output}")
message("${output}")
if(NOT status MATCHES "^[01]$")
  message(FATAL_ERROR "${BINARY} (shard ${SHARD} of ${SHARDS}) stopped abnormally: ${status}")
endif()
