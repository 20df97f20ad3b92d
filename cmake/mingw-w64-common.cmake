# Shared body of the mingw-w64 toolchain files.  The per-arch file sets MSGSC_MINGW_ARCH
# (x86_64 or i686) and includes this one.
if(NOT MSGSC_MINGW_ARCH MATCHES "^(x86_64|i686)$")
  message(FATAL_ERROR "MSGSC_MINGW_ARCH must be x86_64 or i686, got '${MSGSC_MINGW_ARCH}'")
endif()

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR ${MSGSC_MINGW_ARCH})
set(MSGSC_MINGW_PREFIX ${MSGSC_MINGW_ARCH}-w64-mingw32)

set(CMAKE_C_COMPILER   ${MSGSC_MINGW_PREFIX}-gcc)
set(CMAKE_CXX_COMPILER ${MSGSC_MINGW_PREFIX}-g++)
set(CMAKE_RC_COMPILER  ${MSGSC_MINGW_PREFIX}-windres)

# Target libraries and headers come only from the mingw sysroot; programs (widl, wine) from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${MSGSC_MINGW_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests run under Wine.  Once wine32 is installed Debian's /usr/bin/wine wrapper starts the 32-bit
# loader, so 64-bit programs go straight to the 64-bit loader (toolchain.md §3, quirk 3).
if(MSGSC_MINGW_ARCH STREQUAL "x86_64")
  set(CMAKE_CROSSCOMPILING_EMULATOR /usr/lib/wine/wine64)
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/wine)
endif()
