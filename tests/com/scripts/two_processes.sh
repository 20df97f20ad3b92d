#!/usr/bin/env bash
# Run an event test's inviter and invitee as two processes that talk SIP over 127.0.0.1 with no
# server (issue: two Wine processes completing the flows directly):
#   two_processes.sh WINE HOST.exe MSGSC.dll DIR INVITER INVITEE "PHASES" [ALICE_LIFETIME_MS]
# bob (INVITEE) is bob@127.0.0.1:P1, alice (INVITER) alice@127.0.0.1:P2 with MSGSC_TEST_PEER set
# to bob's address; each runs in its own msgsc-scripthost.  With VIA_KAMAILIO=1 in the
# environment, a Kamailio (tests/sip/kamailio.cfg) is started on a free port and both register
# there as alice@msgsc.test / bob@msgsc.test with digest passwords.  Prints both outputs, then
# "two-processes: ok" when both scripts reported "fails=0" and both hosts exited 0.  Each process
# reaches the network through its user's agent (docs/agent.md), which its first manager started;
# both agents are stopped at the end.  Through Kamailio it then checks the agents' registrations:
# bob's agent is killed, the pair runs once more ("accept cancel") and Kamailio's log shows that
# the new agent bob's application started REGISTERed again, and once both agents are stopped an
# INVITE to either user gets 480 from Kamailio: nothing is left registered.
set -uo pipefail
WINE=$1 HOST=$2 DLL=$3 DIR=$4 INVITER=$5 INVITEE=$6 PHASES=$7 LIFETIME=${8:-}

free_udp_port() {                       # a port free for UDP and TCP now
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    ss -Hlun "sport = :$p" | grep -q . || ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
  return 1
}
P1=$(free_udp_port) && P2=$(free_udp_port) || { echo "two-processes: FAIL no free port"; exit 1; }
[ "$P1" != "$P2" ] || P2=$((P1 + 1))
RUN=$(mktemp -d)
bob=
trap '[ -n "$bob" ] && kill "$bob" 2>/dev/null; rm -rf "$RUN"' EXIT
BOB_ID="bob@127.0.0.1:$P1" ALICE_ID="alice@127.0.0.1:$P2"
BOB_NET=() ALICE_NET=()
if [ "${VIA_KAMAILIO:-0}" = 1 ]; then
  SIPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../sip" && pwd)
  # shellcheck source=tests/sip/lib.sh
  source "$SIPDIR/lib.sh"
  sip_init "$RUN/sip"
  trap '[ -n "$bob" ] && kill "$bob" 2>/dev/null; sip_cleanup; rm -rf "$RUN"' EXIT
  KP=$(free_port)
  (cd "$SIPDIR" && kam_start "$KP" -A WITH_DEBUG >/dev/null) || { echo "two-processes: FAIL kamailio did not start"; exit 1; }
  BOB_ID=bob@msgsc.test ALICE_ID=alice@msgsc.test
  BOB_NET=(MSGSC_PROXY="127.0.0.1:$KP" MSGSC_PASSWORD=bobpw)
  ALICE_NET=(MSGSC_PROXY="127.0.0.1:$KP" MSGSC_PASSWORD=alicepw)
fi
cd "$DIR" || exit 1
DLLW=$("$WINE" winepath -w "$DLL" 2>/dev/null | tr -d '\r')
export MSGSC_AGENT_LOG
MSGSC_AGENT_LOG=$("$WINE" winepath -w "$RUN/agents.log" 2>/dev/null | tr -d '\r')

# run_pair PHASES: bob's INVITEE waits, alice's INVITER runs the phases; sets rc_alice, rc_bob
run_pair() {
  env "${BOB_NET[@]}" MSGSC_TRANSPORT=udp MSGSC_IDENTITY="$BOB_ID" MSGSC_LISTEN="127.0.0.1:$P1" MSGSC_LIFETIME_MS= \
    MSGSC_TEST_PEER="$ALICE_ID" \
    "$WINE" "$HOST" --timeout 60 --wait "$INVITEE" </dev/null >"$RUN/bob.out" 2>"$RUN/bob.err" &
  bob=$!
  for _ in $(seq 1 300); do
    ss -Hlun "sport = :$P1" | grep -q . && break
    kill -0 "$bob" 2>/dev/null || break
    sleep 0.1
  done
  rc_alice=0
  [ "${VIA_KAMAILIO:-0}" = 1 ] && sleep 1          # bob's REGISTER is done
  env "${ALICE_NET[@]}" MSGSC_TRANSPORT=udp MSGSC_IDENTITY="$ALICE_ID" MSGSC_LISTEN="127.0.0.1:$P2" \
    MSGSC_TEST_PEER="$BOB_ID" MSGSC_TEST_PHASES="$1" MSGSC_LIFETIME_MS="$LIFETIME" \
    "$WINE" "$HOST" --timeout 60 "$INVITER" </dev/null >"$RUN/alice.out" 2>"$RUN/alice.err" || rc_alice=$?
  rc_bob=0
  wait "$bob" || rc_bob=$?
  bob=
  echo "---- alice ($INVITER, 127.0.0.1:$P2, exit $rc_alice)"; cat "$RUN/alice.out" "$RUN/alice.err"
  echo "---- bob ($INVITEE, 127.0.0.1:$P1, exit $rc_bob)"; cat "$RUN/bob.out" "$RUN/bob.err"
  [ "$rc_alice" -eq 0 ] && [ "$rc_bob" -eq 0 ] && grep -q "checks, fails=0" "$RUN/alice.out" \
     && grep -q "checks, fails=0" "$RUN/bob.out" && ! grep -q "not ok" "$RUN/alice.out" "$RUN/bob.out"
}
stop_agents() {
  for who in "$BOB_ID 127.0.0.1:$P1" "$ALICE_ID 127.0.0.1:$P2"; do
    MSGSC_IDENTITY=${who% *} MSGSC_LISTEN=${who#* } "$WINE" rundll32.exe "$DLLW",AgentMain stop </dev/null >/dev/null 2>&1
  done
}
# not_registered USER: Kamailio answers an INVITE to USER with 480 (it has no binding)
not_registered() { sipp_run msgsc_like_uac_480.xml -p "$(free_port)" -t u1 -s "$1" "127.0.0.1:$KP"; }

ok=0
run_pair "$PHASES" || ok=1
if [ "$ok" -eq 0 ] && [ "${VIA_KAMAILIO:-0}" = 1 ]; then
  # bob's agent dies; bob's next application starts a new agent, which must REGISTER again
  registers() { grep -c "REQ REGISTER .* from 127.0.0.1:$P1/" "$SIP_RUN/kamailio-$KP/kamailio.log"; }
  before=$(registers)
  bobpid=$(grep -o "^\[agent [0-9]*\] running as bob" "$RUN/agents.log" | tail -1 | grep -o "[0-9]*" | head -1)
  "$WINE" taskkill /f /pid "$bobpid" >/dev/null 2>&1 </dev/null
  for _ in $(seq 1 50); do ss -Hlun "sport = :$P1" | grep -q . || break; sleep 0.1; done
  echo "bob's agent $bobpid killed ($before REGISTERs from bob so far)"
  run_pair "accept cancel" || ok=1
  after=$(registers)
  echo "the pair ran again; REGISTERs from bob: $after"
  [ "$after" -gt "$before" ] || ok=1
  stop_agents
  # stopped on purpose, both agents un-REGISTERed
  [ "$ok" -eq 0 ] && not_registered bob && not_registered alice \
    && echo "both agents stopped: 480 for bob and alice" || { sipp_explain; ok=1; }
  echo "---- agents"; cat "$RUN/agents.log"
  [ "$(grep -c "running as bob" "$RUN/agents.log")" -eq 2 ] || ok=1
else
  stop_agents
fi
if [ "$ok" -eq 0 ]; then
  echo "two-processes: ok"
  exit 0
fi
echo "two-processes: FAIL"
exit 1
