#!/bin/sh
# side_by_side.sh <wine> <msgsc.dll x86> <test_register.exe x86> <msgsc.dll x64> <test_register.exe x64>
#
# The x86 and the x64 msgsc.dll registered at once, each in its own registry view.  Unregistering
# one must leave the other working for clients of its bitness (the shared ProgID, AppID and
# TypeLib keys stay), in both orders; unregistering both leaves nothing.  A client's view is
# checked by `test_register --check-class`, run with that bitness's loader.
# Run by the i686 build; exits 77 (skipped) when the x86_64 build is not there.
set -u
# Not echo: dash's echo turns the \t of Z:\tmp into a tab.
say() { printf '%s\n' "$*"; }
WINE32=$1
DLL32=$2
TEST32=$3
DLL64=$4
TEST64=$5
WINE64="${MSGSC_WINE64:-/usr/lib/wine/wine64}"
export WINEDEBUG="${WINEDEBUG:--all}"

if [ ! -f "$DLL64" ] || [ ! -f "$TEST64" ]; then
  say "SKIP: no x86_64 build next to this one ($DLL64, $TEST64)"
  exit 77
fi

CLSID='HKCR\CLSID\{E3A3B1D9-5675-43C0-BF04-37BE11939FB7}'
SHARED='HKCR\MessengerPrivate.MsgrSessionManager HKCR\MessengerPrivate.MsgrSessionManager.1
HKCR\AppID\{E3A3B1D9-5675-43C0-BF04-37BE11939FB7} HKCR\TypeLib\{53CED51D-432B-45B2-A3E0-0CE2C24235D4}'
IFACE='HKCR\Interface\{305D86C6-6896-4099-91F5-CB7BA7733563}'
failures=0
fail() { say "FAIL: $*"; failures=$((failures + 1)); }

wine_of() { if [ "$1" = 64 ]; then printf "%s\n" "$WINE64"; else printf "%s\n" "$WINE32"; fi; }
dll_of() { if [ "$1" = 64 ]; then printf "%s\n" "$W64"; else printf "%s\n" "$W32"; fi; }
test_of() { if [ "$1" = 64 ]; then printf "%s\n" "$TEST64"; else printf "%s\n" "$TEST32"; fi; }
regsvr() { w=$1; shift; "$(wine_of "$w")" regsvr32 "$@" </dev/null >/dev/null 2>&1; }
# exists <key> <32|64>: the key is there in that registry view, as reg.exe of that bitness sees
# it.  (Not reg /reg:32 from 64-bit: Wine 8 then finds no shared key, e.g. the ProgIDs.)
exists() { "$(wine_of "$2")" reg query "$1" </dev/null >/dev/null 2>&1; }
default() {
  "$(wine_of "$2")" reg query "$1" /ve </dev/null 2>/dev/null | tr -d '\r' |
    sed -n 's/^ *(Default) *REG_SZ *//p'
}
# check_class <32|64>: a client of that bitness resolves the ProgID to its own DLL.  Its output
# is left in $out, its exit status returned.
check_class() {
  out=$("$(wine_of "$1")" "$(test_of "$1")" --check-class "$(dll_of "$1")" </dev/null 2>&1)
  rc=$?
  out=$(printf '%s' "$out" | tr -d '\r')
  return $rc
}

W32=$("$WINE32" winepath -w "$DLL32" </dev/null 2>/dev/null | tr -d '\r')
W64=$("$WINE32" winepath -w "$DLL64" </dev/null 2>/dev/null | tr -d '\r')
for v in 32 64; do
  if exists "$CLSID" $v; then
    say "FAIL: msgsc is registered in the $v-bit view of this prefix already: unregister it first"
    exit 1
  fi
done
trap 'regsvr 64 /u /s "$W64"; regsvr 32 /u /s "$W32"' EXIT

for first in 64 32; do
  if [ $first = 64 ]; then second=32; else second=64; fi
  say "== register both, unregister the $first-bit DLL first"
  for v in 64 32; do
    regsvr $v /s "$(dll_of $v)"; rc=$?
    [ $rc -eq 0 ] || fail "regsvr32 of the $v-bit DLL exited $rc"
  done
  for v in 64 32; do
    got=$(default "$CLSID\\InprocServer32" $v)
    [ "$got" = "$(dll_of $v)" ] || fail "$v-bit view: InprocServer32 is '$got', expected '$(dll_of $v)'"
    check_class $v || fail "$v-bit client: $out"
  done

  regsvr $first /u /s "$(dll_of $first)"; rc=$?
  [ $rc -eq 0 ] || fail "regsvr32 /u of the $first-bit DLL exited $rc"
  exists "$CLSID" $first && fail "$first-bit view: the class is still there"
  got=$(default "$CLSID\\InprocServer32" $second)
  [ "$got" = "$(dll_of $second)" ] || fail "$second-bit view: InprocServer32 is '$got' after the other's /u"
  for key in $SHARED; do exists "$key" $second || fail "$key went with the $first-bit DLL"; done
  check_class $second || fail "$second-bit client after the $first-bit /u: $out"
  say "$out"
  check_class $first && fail "$first-bit client still finds the class after its /u"

  regsvr $second /u /s "$(dll_of $second)"; rc=$?
  [ $rc -eq 0 ] || fail "regsvr32 /u of the $second-bit DLL exited $rc"
  for v in 32 64; do
    for key in "$CLSID" $SHARED "$IFACE"; do exists "$key" $v && fail "$v-bit view: $key is still there"; done
  done
done

trap - EXIT
[ $failures -eq 0 ] && say "side_by_side: all checks passed" && exit 0
say "side_by_side: $failures check(s) failed"
exit 1
