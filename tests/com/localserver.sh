#!/bin/sh
# Runs a CLSCTX_LOCAL_SERVER test under Wine (toolchain.md §8): the surrogate (dllhost) inherits
# the client's stderr and never exits, so stderr goes to a file, not to ctest's pipe, and every
# dllhost is killed afterwards.  Usage: localserver.sh <emulator> <test.exe> <args...>
emu=$1; shift
log=${TMPDIR:-/tmp}/msgsc-localserver.$$.log
$emu "$@" 2>"$log"
rc=$?
cat "$log" >&1
rm -f "$log"
/usr/lib/wine/wine64 taskkill /f /im dllhost.exe >/dev/null 2>&1 </dev/null
wine taskkill /f /im dllhost.exe >/dev/null 2>&1 </dev/null
exit $rc
