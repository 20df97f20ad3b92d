#!/usr/bin/env bash
# The invitee side end to end (docs/agent.md): bob's agent runs, bob's application does not.
#   launch.sh WINE HOST.exe MSGSC.dll DIR
# Starts bob's agent (rundll32 msgsc.dll,AgentMain; unattended answer "accept") with an application
# registered whose Path runs launched.js in HOST, and carol's agent, which takes invitations from
# nobody.  alice (launch_inviter.js, her own agent) then invites: bob's agent launches the
# application, which takes the session with GetLaunchingSession; an application bob lacks; a Path
# that cannot start; carol.  Then bob invites alice with "AgentMain invite" (refused three ways
# first), and his agent launches the application as the inviter.  Prints alice's output and the
# agents' logs, then
# "launch: ok" when alice reported "fails=0" and all three agents stopped.  With
# MSGSC_TEST_AGENT_WINE and MSGSC_TEST_AGENT_DLL set (the i686 run, when the x86_64 build exists),
# bob's first agent is that other bitness's: x86 applications and an x64 agent share one identity.
set -uo pipefail
WINE=$1 HOST=$2 DLL=$3 DIR=$4
APP="{6D5C0B01-7E57-4A11-9C0D-00000000E0E3}" DYING="{6D5C0B01-7E57-4A11-9C0D-00000000E0E4}"
SIPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../sip" && pwd)
# shellcheck source=tests/sip/lib.sh
source "$SIPDIR/lib.sh"
RUN=$(mktemp -d)
sip_init "$RUN/sip"
PB=$(free_port) PA=$(free_port) PC=$(free_port)
BOB="bob@127.0.0.1:$PB" ALICE="alice@127.0.0.1:$PA" CAROL="carol@127.0.0.1:$PC"
# shellcheck source=tests/com/scripts/agents.sh
source "$(dirname "${BASH_SOURCE[0]}")/agents.sh"    # winpath, agent ID PORT [VAR=VALUE...] start|stop
DLLW=$(winpath "$DLL") HOSTW=$(winpath "$HOST") LAUNCHEDW=$(winpath "$DIR/launched.js")
export MSGSC_TRANSPORT=udp MSGSC_LIFETIME_MS= MSGSC_AGENT_LOG="$(winpath "$RUN/agents.log")"
cleanup() {
  agent "$BOB" "$PB" stop >/dev/null 2>&1
  agent "$CAROL" "$PC" stop >/dev/null 2>&1
  agent "$ALICE" "$PA" stop >/dev/null 2>&1
  rm -rf "$RUN"
}
trap cleanup EXIT
APPS="HKLM\\Software\\Microsoft\\MessengerService\\SessionManager\\Apps"
# an argument AgentMain does not know starts nothing: exit code E_INVALIDARG (0x80070057 & 0xff)
bad_rc=0
"$WINE" rundll32.exe "$DLLW",AgentMain bogus </dev/null >/dev/null 2>&1 || bad_rc=$?
[ "$bad_rc" -eq 87 ] || { echo "launch: FAIL AgentMain bogus exited $bad_rc, want 87"; exit 1; }
for g in "$APP" "$DYING" "{6D5C0B01-7E57-4A11-9C0D-00000000E0F1}" "{6D5C0B01-7E57-4A11-9C0D-00000000E0F2}"; do
  "$WINE" reg delete "$APPS\\$g" /f /reg:64 >/dev/null 2>&1   # left over from an interrupted run
done
"$WINE" reg add "HKLM\\Software\\Microsoft\\MessengerService\\SessionManager\\Apps\\$APP" /f /reg:64 /v Name /d "Launch Test" >/dev/null 2>&1
"$WINE" reg add "HKLM\\Software\\Microsoft\\MessengerService\\SessionManager\\Apps\\$APP" /f /reg:64 /v URL /d "http://example.org/launch" >/dev/null 2>&1
"$WINE" reg add "HKLM\\Software\\Microsoft\\MessengerService\\SessionManager\\Apps\\$APP" /f /reg:64 /v Path \
  /d "\"$HOSTW\" --timeout 60 \"$LAUNCHEDW\"" >/dev/null 2>&1
for v in "Name=Dying Test" "URL=http://example.org/dying" "Path=\"$HOSTW\" --timeout 2 \"$LAUNCHEDW\""; do
  "$WINE" reg add "$APPS\\$DYING" /f /reg:64 /v "${v%%=*}" /d "${v#*=}" >/dev/null 2>&1
done

if [ -n "${MSGSC_TEST_AGENT_WINE:-}" ] && [ -n "${MSGSC_TEST_AGENT_DLL:-}" ]; then
  # not a job of this shell: nothing here waits for it (it is stopped like the others)
  ( env MSGSC_IDENTITY="$BOB" MSGSC_LISTEN="127.0.0.1:$PB" MSGSC_PROMPT=accept MSGSC_TEST_PEER="$ALICE" \
      MSGSC_TEST_APP="$APP" "$MSGSC_TEST_AGENT_WINE" rundll32.exe \
      "$("$MSGSC_TEST_AGENT_WINE" winepath -w "$MSGSC_TEST_AGENT_DLL" 2>/dev/null | tr -d '\r')",AgentMain \
      </dev/null >/dev/null 2>&1 & )
  for _ in $(seq 1 100); do ss -Hlun "sport = :$PB" | grep -q . && break; sleep 0.1; done
  echo "bob's first agent: $MSGSC_TEST_AGENT_DLL"
  bob_start=ok
else
  agent "$BOB" "$PB" MSGSC_PROMPT=accept MSGSC_TEST_PEER="$ALICE" MSGSC_TEST_APP="$APP" start </dev/null >"$RUN/bob.out" 2>&1 \
    && bob_start=ok
fi
[ "${bob_start:-}" = ok ] && ss -Hlun "sport = :$PB" | grep -q . \
  && agent "$CAROL" "$PC" MSGSC_INVITE_POLICY=nobody start </dev/null >"$RUN/carol.out" 2>&1 \
  || { echo "launch: FAIL the agents did not start"; cat "$RUN"/*.out; exit 1; }

# bob's observer.vbs runs through alice's invitations (it keeps the "veto" one)
env MSGSC_IDENTITY="$BOB" MSGSC_LISTEN="127.0.0.1:$PB" "$WINE" "$HOST" --timeout 90 "$DIR/observer.vbs" \
  </dev/null >"$RUN/observer.out" 2>&1 &
observer=$!
for _ in $(seq 1 100); do grep -q "ready" "$RUN/observer.out" && break; sleep 0.1; done
env MSGSC_IDENTITY="$ALICE" MSGSC_LISTEN="127.0.0.1:$PA" MSGSC_TEST_PEER="$BOB" MSGSC_TEST_CAROL="$CAROL" \
  MSGSC_TEST_APP="$APP" MSGSC_TEST_DYING_APP="$DYING" "$WINE" "$HOST" --timeout 90 "$DIR/launch_inviter.js" </dev/null >"$RUN/alice.out" 2>&1 &
alice=$!
# then bob invites alice from his agent, which launches his application as the inviter
for _ in $(seq 1 800); do grep -q "waiting for bob's invitation" "$RUN/alice.out" && break; sleep 0.1; done
invite_rc=""
LONG=$(printf 'x%.0s' $(seq 1 513))                # app data over 512 bytes
for args in "$ALICE {6D5C0B01-7E57-4A11-9C0D-00000000E0F1}" "$BOB $APP" "$ALICE" "$ALICE not-a-guid" \
            "$ALICE $APP $LONG" "$ALICE $APP started"; do
  rc=0
  # shellcheck disable=SC2086  # the words are the command line
  env MSGSC_IDENTITY="$BOB" MSGSC_LISTEN="127.0.0.1:$PB" "$WINE" rundll32.exe "$DLLW",AgentMain invite $args \
    </dev/null >/dev/null 2>&1 || rc=$?
  invite_rc="$invite_rc $rc"
done
echo "AgentMain invite exit codes:$invite_rc"
rc=0
wait "$alice" || rc=$?
rc_observer=0
wait "$observer" || rc_observer=$?
echo "---- alice (exit $rc)"; cat "$RUN/alice.out"
echo "---- bob's observer.vbs (exit $rc_observer)"; cat "$RUN/observer.out"

# bob's agent dies under a running application: its invitation ends, a new agent takes over
PG=$(free_port)
env MSGSC_IDENTITY="$BOB" MSGSC_LISTEN="127.0.0.1:$PB" MSGSC_TEST_APP="$APP" MSGSC_TEST_GHOST="ghost@127.0.0.1:$PG" \
  MSGSC_TEST_CAROL="$CAROL" "$WINE" "$HOST" --timeout 60 "$DIR/agent_watch.js" </dev/null >"$RUN/watch.out" 2>&1 &
watch=$!
for _ in $(seq 1 100); do grep -q "inviting" "$RUN/watch.out" && break; sleep 0.1; done
bobpid=$(grep -o "^\[agent [0-9]*\] running as bob" "$RUN/agents.log" | tail -1 | grep -o "[0-9]*" | head -1)
"$WINE" taskkill /f /pid "$bobpid" >/dev/null 2>&1
for _ in $(seq 1 200); do grep -q "waiting for the agent to stop" "$RUN/watch.out" && break; sleep 0.1; done
agent "$BOB" "$PB" stop >/dev/null 2>&1           # on purpose this time: OnAppShutdown
rc_watch=0
wait "$watch" || rc_watch=$?
echo "---- bob's application while his agent $bobpid is killed (exit $rc_watch)"; cat "$RUN/watch.out"
agent "$BOB" "$PB" stop >/dev/null 2>&1; agent "$CAROL" "$PC" stop >/dev/null 2>&1; agent "$ALICE" "$PA" stop >/dev/null 2>&1
for g in "$APP" "$DYING"; do "$WINE" reg delete "$APPS\\$g" /f /reg:64 >/dev/null 2>&1; done
echo "---- agents"; cat "$RUN/agents.log" 2>/dev/null
stopped=$(grep -c "stopping" "$RUN/agents.log" 2>/dev/null || true)
restarted=$(grep -c "running as bob" "$RUN/agents.log" 2>/dev/null || true)
# not registered (SR_APP_NOT_REGISTERED), yourself (SR_INVITED_SELF), no GUID, a bad GUID, data
# over 512 bytes (E_INVALIDARG), ok
if [ "$rc" -eq 0 ] && grep -q "launch_inviter.js: [0-9]* checks, fails=0" "$RUN/alice.out" \
   && [ "$invite_rc" = " 14 19 87 87 87 0" ] \
   && ! grep -q "not ok" "$RUN/alice.out" "$RUN/watch.out" && [ "$stopped" -ge 3 ] && [ "$rc_watch" -eq 0 ] \
   && grep -q "agent_watch.js: 3 checks, fails=0" "$RUN/watch.out" && [ "$restarted" -eq 2 ] \
   && [ "$rc_observer" -eq 0 ] && grep -q "observer.vbs: [0-9]* checks, fails=0" "$RUN/observer.out" \
   && ! grep -q "not ok" "$RUN/observer.out"; then
  echo "launch: ok"
  exit 0
fi
echo "launch: FAIL ($stopped of 3 agents stopped, bob's agent started $restarted times)"
exit 1
