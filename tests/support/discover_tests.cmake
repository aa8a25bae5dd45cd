# Build-time discovery (like GoogleTest's gtest_discover_tests, but with CTest entries that check
# results instead of starting the binary again): lists the binary's tests and writes a CTest file
# with one entry per test, requiring the fixture of the shard that runs it. gtest deals tests to
# shards round-robin in listing order, so test i runs in shard i % SHARDS.
#   cmake -DBINARY=... -DNAME=... -DRESULTS_ROOT=... -DSHARDS=n -DLABEL=... -DSUPPORT_DIR=...
#         -DCTEST_FILE=... -P discover_tests.cmake
execute_process(COMMAND "${BINARY}" --gtest_list_tests RESULT_VARIABLE status OUTPUT_VARIABLE listing
                ERROR_VARIABLE errors)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${BINARY} --gtest_list_tests failed (${status}): ${errors}")
endif()
string(REPLACE ";" "\\;" listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(content "")
set(suite "")
set(index 0)
foreach(line IN LISTS lines)
  string(REGEX REPLACE " *#.*$" "" line "${line}")
  if(line STREQUAL "")
    continue()
  endif()
  if(NOT line MATCHES "^ ")
    set(suite "${line}")  # "Suite." (with its trailing dot)
    continue()
  endif()
  string(STRIP "${line}" test)
  set(name "${suite}${test}")
  if(name MATCHES "(^|[./])DISABLED_")
    continue()
  endif()
  math(EXPR shard "${index} % ${SHARDS}")
  math(EXPR index "${index} + 1")
  string(APPEND content
    "add_test([==[${name}]==] \"${CMAKE_COMMAND}\" -DRESULTS_DIR=${RESULTS_ROOT}/shard${shard} "
    "[==[-DTEST_NAME=${name}]==] -P \"${SUPPORT_DIR}/check_test_result.cmake\")\n"
    "set_tests_properties([==[${name}]==] PROPERTIES FIXTURES_REQUIRED ${NAME}.shard${shard} "
    "LABELS ${LABEL} SKIP_REGULAR_EXPRESSION \"^skipped\")\n")
endforeach()
if(index EQUAL 0)
  message(FATAL_ERROR "${BINARY} lists no tests")
endif()
file(WRITE "${CTEST_FILE}" "${content}")
