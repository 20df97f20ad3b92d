#!/usr/bin/env bash
# A CLSCTX_LOCAL_SERVER client on SIP, through its user's agent (docs/agent.md, "Tests"):
#   localserver_agent.sh WINE CLIENT.exe HOST.exe MSGSC.dll SCRIPTDIR
# alice is test_localserver_agent.exe: her msgsc.dll runs in the COM surrogate (dllhost), which
# starts her agent.  She is configured in HKCU\Software\msgsc only (Identity, Transport,
# ListenAddress; the values are put back as they were at the end), and her process gets no
# MSGSC_* setting: on Windows a surrogate has the user's environment, not its client's.  Only
# MSGSC_AGENT_LOG (environment only) is given to her process; under Wine the surrogate inherits
# the client's environment and passes it on to the agent it starts, whose log is the evidence.
# bob is localserver_peer.js in msgsc-scripthost with his own agent, configured by environment.
# Both agents are stopped with `rundll32 msgsc.dll,AgentMain stop`, and the surrogate, which
# never exits and inherits the client's stdout and stderr (so they go to files, never to ctest's
# pipe: docs/toolchain.md §8), is killed.  Prints everything, then "localserver-agent: ok".
set -uo pipefail
WINE=$1 CLIENT=$2 HOST=$3 DLL=$4 DIR=$5
APP="{6D5C0B01-7E57-4A11-9C0D-00000000E0E6}"
APPS='HKLM\Software\Microsoft\MessengerService\SessionManager\Apps'
KEY='HKCU\Software\msgsc'
SIPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../sip" && pwd)
# shellcheck source=tests/sip/lib.sh
source "$SIPDIR/lib.sh"
RUN=$(mktemp -d)
sip_init "$RUN/sip"
PA=$(free_port) PB=$(free_port)
ALICE="alice@127.0.0.1:$PA" BOB="bob@127.0.0.1:$PB"
# shellcheck source=tests/com/scripts/agents.sh
source "$DIR/agents.sh"                         # winpath
DLLW=$(winpath "$DLL") LOGW=$(winpath "$RUN/agent.log") BOBLOGW=$(winpath "$RUN/bob-agent.log")
quiet() { "$@" </dev/null >/dev/null 2>&1; }
# every setting docs/configuration.md lists: none may reach alice's process from the caller
CONFIG_VARS="MSGSC_IDENTITY MSGSC_DISPLAY_NAME MSGSC_TRANSPORT MSGSC_LISTEN MSGSC_LISTEN_PORT MSGSC_ADVERTISE
MSGSC_PROXY MSGSC_AUTH_USER MSGSC_PASSWORD MSGSC_LIFETIME_S MSGSC_LIFETIME_MS MSGSC_AGENT MSGSC_INVITE_POLICY
MSGSC_CONTACTS MSGSC_PROMPT MSGSC_AGENT_LOG"
UNSET=()
for v in $CONFIG_VARS; do UNSET+=(-u "$v"); done

# alice's values in HKCU, saved first and put back at the end
VALUES="Identity Transport ListenAddress"
saved() { "$WINE" reg query "$KEY" /v "$1" </dev/null 2>/dev/null | tr -d '\r' | sed -n "s/^ *$1 *REG_SZ *//p"; }
declare -A OLD HAD
key_existed=0
quiet "$WINE" reg query "$KEY" && key_existed=1
for v in $VALUES; do
  HAD[$v]=0
  if quiet "$WINE" reg query "$KEY" /v "$v"; then HAD[$v]=1; OLD[$v]=$(saved "$v"); fi
done

stop_agent() {   # stop_agent ID PORT
  quiet env "${UNSET[@]}" MSGSC_IDENTITY="$1" MSGSC_LISTEN="127.0.0.1:$2" "$WINE" rundll32.exe "$DLLW",AgentMain stop
}
kill_surrogates() {   # as localserver.sh: every dllhost of this prefix, both bitnesses
  quiet /usr/lib/wine/wine64 taskkill /f /im dllhost.exe
  quiet wine taskkill /f /im dllhost.exe
}
restore() {
  for v in $VALUES; do
    if [ "${HAD[$v]}" = 1 ]; then quiet "$WINE" reg add "$KEY" /v "$v" /t REG_SZ /d "${OLD[$v]}" /f
    else quiet "$WINE" reg delete "$KEY" /v "$v" /f; fi
  done
  if [ "$key_existed" = 0 ] && ! "$WINE" reg query "$KEY" </dev/null 2>/dev/null | tr -d '\r' | grep -q '[^ ]  *REG_'; then
    quiet "$WINE" reg delete "$KEY" /f
  fi
  quiet "$WINE" reg delete "$APPS\\$APP" /f /reg:64
}
bob=
cleanup() {
  [ -n "$bob" ] && kill "$bob" 2>/dev/null
  stop_agent "$ALICE" "$PA"; stop_agent "$BOB" "$PB"
  kill_surrogates
  restore
  sip_cleanup
  rm -rf "$RUN"
}
trap cleanup EXIT

quiet "$WINE" reg delete "$APPS\\$APP" /f /reg:64       # left over from an interrupted run
quiet "$WINE" reg add "$KEY" /v Identity /t REG_SZ /d "$ALICE" /f &&
  quiet "$WINE" reg add "$KEY" /v Transport /t REG_SZ /d udp /f &&
  quiet "$WINE" reg add "$KEY" /v ListenAddress /t REG_SZ /d "127.0.0.1:$PA" /f ||
  { echo "localserver-agent: FAIL cannot write $KEY"; exit 1; }

# bob, in his own process; his first manager starts his agent
env "${UNSET[@]}" MSGSC_TRANSPORT=udp MSGSC_IDENTITY="$BOB" MSGSC_LISTEN="127.0.0.1:$PB" \
  MSGSC_AGENT_LOG="$BOBLOGW" MSGSC_TEST_PEER="$ALICE" MSGSC_TEST_APP="$APP" \
  "$WINE" "$HOST" --timeout 90 --wait "$DIR/localserver_peer.js" </dev/null >"$RUN/bob.out" 2>"$RUN/bob.err" &
bob=$!
for _ in $(seq 1 300); do
  grep -q "ready" "$RUN/bob.out" 2>/dev/null && break
  kill -0 "$bob" 2>/dev/null || break
  sleep 0.1
done

# alice: no MSGSC_* setting but the agent's log
rc=0
if grep -q "ready" "$RUN/bob.out"; then
  env "${UNSET[@]}" MSGSC_AGENT_LOG="$LOGW" MSGSC_TEST_ME="$ALICE" MSGSC_TEST_PEER="$BOB" MSGSC_TEST_APP="$APP" \
    timeout 120 "$WINE" "$CLIENT" </dev/null >"$RUN/alice.out" 2>"$RUN/alice.err" || rc=$?
else
  echo "bob did not start"; rc=1
fi
rc_bob=0
for _ in $(seq 1 300); do kill -0 "$bob" 2>/dev/null || break; sleep 0.1; done
kill "$bob" 2>/dev/null
wait "$bob" || rc_bob=$?
bob=

# the agents, stopped as a user would; alice's is the one her surrogate started
stop_agent "$ALICE" "$PA"
stop_agent "$BOB" "$PB"
kill_surrogates
surrogate=$(sed -n 's/^localserver_agent: surrogate \([0-9]*\).*/\1/p' "$RUN/alice.out" | tr -d '\r')
echo "---- alice: test_localserver_agent ($ALICE, in dllhost ${surrogate:-?}; exit $rc)"
cat "$RUN/alice.out" "$RUN/alice.err"
echo "---- bob: localserver_peer.js ($BOB, exit $rc_bob)"
cat "$RUN/bob.out" "$RUN/bob.err"
echo "---- alice's agent"
cat "$RUN/agent.log" 2>/dev/null | tr -d '\r'
echo "---- bob's agent"
cat "$RUN/bob-agent.log" 2>/dev/null | tr -d '\r'
agent_pid=$(grep -o "^\[agent [0-9]*\] running as $ALICE," "$RUN/agent.log" 2>/dev/null | grep -o "[0-9][0-9]*" | head -1)
stopped=0
[ -n "$agent_pid" ] && grep -q "^\[agent $agent_pid\] stopping" "$RUN/agent.log" && stopped=1
restore
leftover=
for v in $VALUES; do
  [ "${HAD[$v]}" = 0 ] && quiet "$WINE" reg query "$KEY" /v "$v" && leftover="$leftover $v"
done
if [ "$rc" -eq 0 ] && [ "$rc_bob" -eq 0 ] && [ -n "$surrogate" ] && [ "$surrogate" != 0 ] && [ "$stopped" = 1 ] \
   && [ -z "$leftover" ] && grep -q "localserver_peer.js: [0-9]* checks, fails=0" "$RUN/bob.out" \
   && ! grep -q "not ok" "$RUN/bob.out"; then
  echo "localserver-agent: ok"
  exit 0
fi
echo "localserver-agent: FAIL (alice exit $rc, bob exit $rc_bob, alice's agent ${agent_pid:-never ran} stopped=$stopped, left in $KEY:${leftover:- nothing})"
exit 1
