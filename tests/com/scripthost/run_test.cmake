# Run msgsc-scripthost once (under Wine) and check its exit code and output; ctest runs this with
# cmake -P (see CMakeLists.txt, msgsc_scripthost_test).  Never trust the exit code alone under
# Wine, nor the output alone: both are checked.  Variables ("@@" separates list items):
#   EMULATOR  the toolchain's CMAKE_CROSSCOMPILING_EMULATOR     HOST  msgsc-scripthost.exe
#   OUT_DIR   where the host's stdout.txt and stderr.txt go
#   ARGS      the host's arguments                             RC    the expected exit code
#   EXPECT    regexes that must all match stdout               EXPECT_ERR  ... stderr
#   REJECT    regexes that must match neither stdout nor stderr
# The last line is "scripthost-test: PASS" or "scripthost-test: FAIL (...)".
foreach(_v EMULATOR ARGS EXPECT EXPECT_ERR REJECT)
  string(REPLACE "@@" ";" _${_v} "${${_v}}")
endforeach()

# The host's output goes to files, not pipes: the first window a Wine process creates (even a
# message-only one) starts explorer.exe /desktop, which inherits stdout/stderr and lingers for a
# second after the host exits; a pipe reader would wait for it (and a wineserver's services
# started here would hold a pipe forever, docs/toolchain.md §3).
file(MAKE_DIRECTORY "${OUT_DIR}")
execute_process(COMMAND ${_EMULATOR} ${HOST} ${_ARGS}
                RESULT_VARIABLE _rc
                INPUT_FILE /dev/null
                OUTPUT_FILE "${OUT_DIR}/stdout.txt" ERROR_FILE "${OUT_DIR}/stderr.txt"
                TIMEOUT 100)
file(READ "${OUT_DIR}/stdout.txt" _out)
file(READ "${OUT_DIR}/stderr.txt" _err)
message("---- exit code: ${_rc}\n---- stdout:\n${_out}---- stderr:\n${_err}----")

set(_fail "")
if(NOT "${_rc}" STREQUAL "${RC}")
  list(APPEND _fail "exit code ${_rc}, expected ${RC}")
endif()
foreach(_re IN LISTS _EXPECT)
  if(NOT _out MATCHES "${_re}")
    list(APPEND _fail "stdout lacks /${_re}/")
  endif()
endforeach()
foreach(_re IN LISTS _EXPECT_ERR)
  if(NOT _err MATCHES "${_re}")
    list(APPEND _fail "stderr lacks /${_re}/")
  endif()
endforeach()
foreach(_re IN LISTS _REJECT)
  if(_out MATCHES "${_re}" OR _err MATCHES "${_re}")
    list(APPEND _fail "output has /${_re}/")
  endif()
endforeach()
if(_fail)
  string(REPLACE ";" "; " _fail "${_fail}")
  message("scripthost-test: FAIL (${_fail})")
  message(FATAL_ERROR "failed")
endif()
message("scripthost-test: PASS")
