#!/bin/sh
# regsvr32.sh <wine loader> <msgsc.dll> <test_register.exe>: register and unregister msgsc.dll
# with the real regsvr32, check its exit codes, and check with `reg query` what is there after
# each step.  test_register --block-registration makes DllRegisterServer fail halfway.
#
# The loader is the one ctest runs this build's programs with (/usr/lib/wine/wine64 for x86_64,
# wine for i686), so regsvr32 and reg are of the DLL's bitness and see its registry view.
# Needs a prefix where msgsc is not registered for this platform; leaves it so.
set -u
# Not echo: dash's echo turns the \t of Z:\tmp into a tab.
say() { printf '%s\n' "$*"; }
WINE=$1
DLL=$2
TEST=$3
export WINEDEBUG="${WINEDEBUG:--all}"

CLSID='HKCR\CLSID\{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}'
SHARED='HKCR\MessengerPrivate.MsgrSessionManager HKCR\MessengerPrivate.MsgrSessionManager.1
HKCR\AppID\{E3A3B1D9-5675-43C0-BF04-37BE11939FB7} HKCR\TypeLib\{53CED51D-432B-45B2-A3E0-0CE2C24235D4}'
case "$WINE" in
  *wine64*) OTHER_VIEW=/reg:32 ;;
  *) OTHER_VIEW=/reg:64 ;;
esac
failures=0
fail() { say "FAIL: $*"; failures=$((failures + 1)); }

# Wine programs get no terminal input, and keep no pipe of ours open.
regsvr() { "$WINE" regsvr32 "$@" </dev/null >/dev/null 2>&1; }
exists() { "$WINE" reg query "$@" </dev/null >/dev/null 2>&1; }
# default <key>: the key's (Default) value, as reg query prints it.
default() {
  "$WINE" reg query "$1" /ve </dev/null 2>/dev/null | tr -d '\r' |
    sed -n 's/^ *(Default) *REG_SZ *//p'
}

winpath=$("$WINE" winepath -w "$DLL" </dev/null 2>/dev/null | tr -d '\r')
[ -n "$winpath" ] || { say "FAIL: winepath -w $DLL"; exit 1; }
if exists "$CLSID"; then
  say "FAIL: msgsc is registered in this prefix already: run regsvr32 /u on it first"
  exit 1
fi
other_registered=no
exists "$CLSID" "$OTHER_VIEW" && other_registered=yes
trap 'regsvr /u /s "$winpath"; "$WINE" "$TEST" --unblock-registration </dev/null >/dev/null 2>&1' EXIT

say "regsvr32 /s $winpath"
regsvr /s "$winpath"; rc=$?
[ $rc -eq 0 ] || fail "regsvr32 exited $rc"
got=$(default "$CLSID\\InprocServer32")
[ "$got" = "$winpath" ] || fail "InprocServer32 is '$got', expected '$winpath'"
[ "$(default "$CLSID\\ProgID")" = "MessengerPrivate.MsgrSessionManager.1" ] || fail "CLSID\\ProgID"
for key in $SHARED; do exists "$key" || fail "$key is missing"; done

say "regsvr32 /s again"
regsvr /s "$winpath"; rc=$?
[ $rc -eq 0 ] || fail "regsvr32 (again) exited $rc"
exists "$CLSID" || fail "$CLSID is missing"

say "regsvr32 /u /s"
regsvr /u /s "$winpath"; rc=$?
[ $rc -eq 0 ] || fail "regsvr32 /u exited $rc"
exists "$CLSID" && fail "$CLSID is still there"
if [ $other_registered = no ]; then
  for key in $SHARED; do exists "$key" && fail "$key is still there"; done
else
  say "(the other platform is registered: its shared keys stay)"
fi

say "regsvr32 /u /s again"
regsvr /u /s "$winpath"; rc=$?
[ $rc -eq 0 ] || fail "regsvr32 /u (again) exited $rc"

# DllRegisterServer fails halfway: regsvr32 exits 5, and what was written is gone again.
say "regsvr32 /s, failing halfway"
"$WINE" "$TEST" --block-registration </dev/null >/dev/null 2>&1 || fail "test_register --block-registration"
regsvr /s "$winpath"; rc=$?
[ $rc -eq 5 ] || fail "regsvr32 of a failing DllRegisterServer exited $rc, not 5"
exists "$CLSID" && fail "$CLSID is there after a failed registration"
"$WINE" "$TEST" --unblock-registration </dev/null >/dev/null 2>&1 || fail "test_register --unblock-registration"
if [ $other_registered = no ]; then
  for key in $SHARED; do exists "$key" && fail "$key is there after a failed registration"; done
fi

# A DLL that is not there: regsvr32 reports it (3, LoadLibrary failed), nothing is written.
missing="${winpath%\\*}\\no-such-msgsc.dll"
regsvr /s "$missing"; rc=$?
[ $rc -ne 0 ] || fail "regsvr32 of a missing DLL exited 0"
say "regsvr32 of a missing DLL exited $rc"

trap - EXIT
[ $failures -eq 0 ] && say "regsvr32: all checks passed" && exit 0
say "regsvr32: $failures check(s) failed"
exit 1
