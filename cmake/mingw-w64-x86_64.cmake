# CMake toolchain file: cross-build for 64-bit Windows with mingw-w64, tests run under Wine.
set(MSGSC_MINGW_ARCH x86_64)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-w64-common.cmake)
