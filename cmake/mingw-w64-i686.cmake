# CMake toolchain file: cross-build for 32-bit Windows with mingw-w64, tests run under Wine
# (needs wine32:i386).
set(MSGSC_MINGW_ARCH i686)
include(${CMAKE_CURRENT_LIST_DIR}/mingw-w64-common.cmake)
