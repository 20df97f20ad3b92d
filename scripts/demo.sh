#!/usr/bin/env bash
# msgsc script demo: alice (src/demo/inviter.vbs, VBScript) invites bob (src/demo/invitee.js,
# JScript) under Wine, over msgsc's in-process loopback transport, and both print every event.
# Scene 1: bob accepts, they exchange addresses with context data, alice hangs up.
# Scene 2: alice invites again, bob declines.
#
#   scripts/demo.sh
#
# Needs the dependencies and the Wine prefix (scripts/setup.sh --deps-only); scripts/setup.sh runs
# this after the host demo.  Steps: build msgsc.dll and msgsc-scripthost (x86_64 preset) if they are
# missing or stale, start Wine, register the DLL, run both scripts in one msgsc-scripthost (it
# stands in for cscript: Wine's cannot deliver events to scripts), unregister, stop Wine.
# Exits 0 only if both scripts printed "everything went as expected" and the host exited 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
cd "$ROOT"

say() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] ERROR: %s\n' "$*" >&2; exit 1; }

[ -f "$WINEPREFIX/.msgsc-prefix-ok" ] || die "no Wine prefix in $WINEPREFIX: run scripts/setup.sh --deps-only first"

# ---- build (only what the demo needs; ninja does nothing when it is up to date)
LOGS="$ROOT/build/logs"
mkdir -p "$LOGS"
BUILD="$ROOT/build/x86_64"
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  say "configuring the x86_64 preset (log: build/logs/demo-configure.log)"
  cmake --preset x86_64 >"$LOGS/demo-configure.log" 2>&1 </dev/null \
    || { tail -n 20 "$LOGS/demo-configure.log" >&2; die "cmake --preset x86_64 failed"; }
fi
say "building msgsc.dll and msgsc-scripthost (x86_64; log: build/logs/demo-build.log)"
cmake --build --preset x86_64 --target msgsc msgsc-scripthost >"$LOGS/demo-build.log" 2>&1 </dev/null \
  || { tail -n 20 "$LOGS/demo-build.log" >&2; die "the build failed"; }
DLL="$BUILD/src/com/msgsc.dll"
HOST="$BUILD/tests/com/scripthost/msgsc-scripthost.exe"
[ -f "$DLL" ] && [ -f "$HOST" ] || die "the build made no $DLL or $HOST"

# ---- Wine: a persistent wineserver, stdio on /dev/null (docs/toolchain.md §3)
say "starting Wine ($WINEPREFIX)"
msgsc_wine_warm </dev/null >/dev/null 2>&1 || die "could not start Wine (wine wineboot)"
REGSVR32='C:\windows\system32\regsvr32.exe'         # the 64-bit one, through the 64-bit loader
winpath=$("$MSGSC_WINE64" winepath -w "$DLL" </dev/null 2>/dev/null | tr -d '\r')
[ -n "$winpath" ] || die "winepath -w $DLL failed"
cleanup() {
  "$MSGSC_WINE64" "$REGSVR32" /u /s "$winpath" </dev/null >/dev/null 2>&1 || true
  msgsc_wine_stop
}
trap cleanup EXIT
say "registering $winpath"
"$MSGSC_WINE64" "$REGSVR32" /s "$winpath" </dev/null >/dev/null 2>&1 || die "regsvr32 $winpath failed"

# ---- the run.  The output goes to a file, not a pipe: Wine's explorer.exe would hold a pipe open.
OUT=$(mktemp)
ERR=$(mktemp)
trap 'rm -f "$OUT" "$ERR"; cleanup' EXIT
say "running: msgsc-scripthost --env MSGSC_IDENTITY=alice@example.org inviter.vbs --env MSGSC_IDENTITY=bob@example.org invitee.js"
echo
rc=0
(cd src/demo && exec "$MSGSC_WINE64" "$HOST" --timeout 30 \
    --env MSGSC_IDENTITY=alice@example.org inviter.vbs \
    --env MSGSC_IDENTITY=bob@example.org invitee.js) </dev/null >"$OUT" 2>"$ERR" || rc=$?
cat "$OUT"
[ -s "$ERR" ] && sed 's/^/stderr: /' "$ERR"
echo

# Never trust the exit code alone under Wine: both scripts must have said so.
if [ "$rc" -eq 0 ] && grep -q '^alice | everything went as expected' "$OUT" \
   && grep -q '^bob   | everything went as expected' "$OUT"; then
  say "the demo went as expected"
  exit 0
fi
say "the demo did NOT go as expected (exit code $rc)" >&2
exit 1
