#!/usr/bin/env bash
# msgsc script demo: alice (src/demo/inviter.vbs, VBScript) invites bob (src/demo/invitee.js,
# JScript) under Wine.  They are two processes that talk SIP directly over 127.0.0.1 (no server):
# bob is bob@127.0.0.1:5070, alice is alice@127.0.0.1:5071.  Both print every event.
# Scene 1: bob accepts, they exchange addresses with context data, alice hangs up.
# Scene 2: alice invites again, bob declines.
#
#   scripts/demo.sh
#
# Needs the dependencies and the Wine prefix (scripts/setup.sh --deps-only); scripts/setup.sh runs
# this after the host demo.  Steps: build msgsc.dll and msgsc-scripthost (x86_64 preset) if they are
# missing or stale, start Wine, register the DLL, start bob's msgsc-scripthost (it stands in for
# cscript: Wine's cannot deliver events to scripts), wait until he listens, run alice's, wait for
# both, unregister, stop Wine.  Exits 0 only if both scripts printed "everything went as
# expected" and both hosts exited 0.  DEMO_PORT_BOB / DEMO_PORT_ALICE change the ports.
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

# ---- the run: two processes.  Output goes to files, not pipes: Wine's explorer.exe would hold a
# pipe open.  The settings come from the environment (docs/configuration.md).
BOB_PORT=${DEMO_PORT_BOB:-5070}
ALICE_PORT=${DEMO_PORT_ALICE:-5071}
BOB_ID="bob@127.0.0.1:$BOB_PORT"
ALICE_ID="alice@127.0.0.1:$ALICE_PORT"
RUN=$(mktemp -d)
bob_pid=
trap '[ -n "$bob_pid" ] && kill "$bob_pid" 2>/dev/null; rm -rf "$RUN"; cleanup' EXIT
for p in "$BOB_PORT" "$ALICE_PORT"; do
  ! ss -Hlun "sport = :$p" | grep -q . || die "UDP port $p is in use (set DEMO_PORT_BOB / DEMO_PORT_ALICE)"
done

say "bob:   MSGSC_IDENTITY=$BOB_ID MSGSC_LISTEN=127.0.0.1:$BOB_PORT msgsc-scripthost --wait invitee.js"
(cd src/demo && MSGSC_IDENTITY="$BOB_ID" MSGSC_LISTEN="127.0.0.1:$BOB_PORT" MSGSC_DEMO_ALONE=1 \
   exec "$MSGSC_WINE64" "$HOST" --timeout 60 --wait invitee.js) </dev/null >"$RUN/bob.out" 2>"$RUN/bob.err" &
bob_pid=$!
for _ in $(seq 1 200); do
  ss -Hlun "sport = :$BOB_PORT" | grep -q . && break
  kill -0 "$bob_pid" 2>/dev/null || break
  sleep 0.1
done
ss -Hlun "sport = :$BOB_PORT" | grep -q . || { cat "$RUN/bob.out" "$RUN/bob.err" >&2; die "bob never listened on UDP $BOB_PORT"; }

say "alice: MSGSC_IDENTITY=$ALICE_ID MSGSC_LISTEN=127.0.0.1:$ALICE_PORT MSGSC_DEMO_PEER=$BOB_ID msgsc-scripthost inviter.vbs"
rc_alice=0
(cd src/demo && MSGSC_IDENTITY="$ALICE_ID" MSGSC_LISTEN="127.0.0.1:$ALICE_PORT" MSGSC_DEMO_PEER="$BOB_ID" \
   exec "$MSGSC_WINE64" "$HOST" --timeout 60 inviter.vbs) </dev/null >"$RUN/alice.out" 2>"$RUN/alice.err" || rc_alice=$?
rc_bob=0
wait "$bob_pid" || rc_bob=$?
bob_pid=
# each process reached the network through its user's agent (docs/agent.md): stop both
for who in "$BOB_ID 127.0.0.1:$BOB_PORT" "$ALICE_ID 127.0.0.1:$ALICE_PORT"; do
  MSGSC_IDENTITY=${who% *} MSGSC_LISTEN=${who#* } "$MSGSC_WINE64" rundll32.exe "$winpath",AgentMain stop \
    </dev/null >/dev/null 2>&1
done

echo
echo "---- alice's process (VBScript) ----"
cat "$RUN/alice.out"
[ -s "$RUN/alice.err" ] && sed 's/^/stderr: /' "$RUN/alice.err"
echo
echo "---- bob's process (JScript) ----"
cat "$RUN/bob.out"
[ -s "$RUN/bob.err" ] && sed 's/^/stderr: /' "$RUN/bob.err"
echo

# Part two: bob's application is not running.  bob's agent (started as any application starts
# it) receives alice's invitation, answers "accept" unattended, launches the registered
# application, which takes the session with GetLaunchingSession; then the other outcomes.
say "part two: bob's agent runs, his application does not (tests/com/scripts/launch.sh)"
rc_launch=0
bash tests/com/scripts/launch.sh "$MSGSC_WINE64" "$HOST" "$DLL" "$ROOT/tests/com/scripts" >"$RUN/launch.out" 2>&1 || rc_launch=$?
echo
echo "---- alice's process, then what each user's agent did ----"
grep -v '^---- \|^launch: ' "$RUN/launch.out" | sed 's/^launch_inviter.js: //'
echo

# Never trust the exit code alone under Wine: both scripts must have said so.
if [ "$rc_alice" -eq 0 ] && [ "$rc_bob" -eq 0 ] && grep -q '^alice | everything went as expected' "$RUN/alice.out" \
   && grep -q '^bob   | everything went as expected' "$RUN/bob.out" && [ "$rc_launch" -eq 0 ] \
   && grep -q '^launch: ok' "$RUN/launch.out"; then
  say "the demo went as expected"
  exit 0
fi
[ "$rc_launch" -eq 0 ] || cat "$RUN/launch.out" >&2
say "the demo did NOT go as expected (exit codes: alice $rc_alice, bob $rc_bob)" >&2
exit 1
