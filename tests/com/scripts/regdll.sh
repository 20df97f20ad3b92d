#!/bin/sh
# regdll.sh register|unregister <wine loader> <msgsc.dll>: the fixture of the script tests.
# Scripts reach msgsc only through the registry (CreateObject("MessengerPrivate.MsgrSessionManager")),
# so the build's DLL is registered with the real regsvr32 of its bitness before them, and
# unregistered after them:
#   x86_64: /usr/lib/wine/wine64 C:\windows\system32\regsvr32.exe /s <dll>
#   i686:   wine regsvr32 /s <dll>                     (Debian's wine is the 32-bit loader)
# Each step is checked with `reg query` in the same registry view.  unregister also removes what
# an interrupted script may have left: the test applications' registrations, and the
# HKCU\Software\msgsc\Identity value members.vbs/js set (empty, or one of their users).
# Prints "regdll: ok" on success.
set -u
say() { printf '%s\n' "$*"; }          # not echo: dash's echo turns the \t of Z:\tmp into a tab
ACTION=$1
WINE=$2
DLL=$3
export WINEDEBUG="${WINEDEBUG:--all}"

CLSID='HKCR\CLSID\{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}'
APPS='HKLM\Software\Microsoft\MessengerService\SessionManager\Apps'
# The application GUIDs the scripts register (members.vbs, members.js, the event tests, the demo).
TEST_APPS='{6D5C0B01-7E57-4A11-9C0D-00000000B5B1} {6D5C0B01-7E57-4A11-9C0D-00000000B5B2}
{6D5C0B01-7E57-4A11-9C0D-00000000E0E1} {6D5C0B01-7E57-4A11-9C0D-00000000E0E2}
{6D5C0B01-7E57-4A11-9C0D-00000000DE30} {6D5C0B01-7E57-4A11-9C0D-00000000E0E5}
{6D5C0B01-7E57-4A11-9C0D-00000000E0E6}'
case "$WINE" in
  *wine64*) REGSVR32='C:\windows\system32\regsvr32.exe' ;;
  *) REGSVR32=regsvr32 ;;
esac

# Wine programs get no terminal input and keep no pipe of ours open (docs/toolchain.md §3).
wine_quiet() { "$WINE" "$@" </dev/null >/dev/null 2>&1; }
default() {
  "$WINE" reg query "$1" /ve </dev/null 2>/dev/null | tr -d '\r' | sed -n 's/^ *(Default) *REG_SZ *//p'
}

winpath=$("$WINE" winepath -w "$DLL" </dev/null 2>/dev/null | tr -d '\r')
[ -n "$winpath" ] || { say "regdll: FAIL: winepath -w $DLL"; exit 1; }

case "$ACTION" in
  register)
    say "$WINE $REGSVR32 /s $winpath"
    wine_quiet "$REGSVR32" /s "$winpath"; rc=$?
    [ $rc -eq 0 ] || { say "regdll: FAIL: regsvr32 exited $rc"; exit 1; }
    got=$(default "$CLSID\\InprocServer32")
    [ "$got" = "$winpath" ] || { say "regdll: FAIL: InprocServer32 is '$got', not '$winpath'"; exit 1; }
    ;;
  unregister)
    say "$WINE $REGSVR32 /u /s $winpath"
    wine_quiet "$REGSVR32" /u /s "$winpath"; rc=$?
    [ $rc -eq 0 ] || { say "regdll: FAIL: regsvr32 /u exited $rc"; exit 1; }
    if wine_quiet reg query "$CLSID"; then say "regdll: FAIL: $CLSID is still there"; exit 1; fi
    for app in $TEST_APPS; do
      if wine_quiet reg query "$APPS\\$app" /reg:64; then
        say "regdll: removing the registration of test application $app (left by an interrupted script)"
        wine_quiet reg delete "$APPS\\$app" /f /reg:64
      fi
    done
    if "$WINE" reg query 'HKCU\Software\msgsc' /v Identity </dev/null 2>/dev/null | tr -d '\r' |
         grep -qE '^ *Identity +REG_SZ *((alice|bob)\.(vbs|js)@example\.org)?$'; then
      wine_quiet reg delete 'HKCU\Software\msgsc' /v Identity /f
    fi
    ;;
  *)
    say "usage: regdll.sh register|unregister <wine loader> <msgsc.dll>"; exit 2 ;;
esac
say "regdll: ok"
