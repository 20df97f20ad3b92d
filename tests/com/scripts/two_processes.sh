#!/usr/bin/env bash
# Run an event test's inviter and invitee as two processes that talk SIP over 127.0.0.1 with no
# server (issue: two Wine processes completing the flows directly):
#   two_processes.sh WINE HOST.exe DIR INVITER INVITEE "PHASES" [ALICE_LIFETIME_MS]
# bob (INVITEE) is bob@127.0.0.1:P1, alice (INVITER) alice@127.0.0.1:P2 with MSGSC_TEST_PEER set
# to bob's address; each runs in its own msgsc-scripthost.  Prints both outputs, then
# "two-processes: ok" when both scripts reported "fails=0" and both hosts exited 0.
set -uo pipefail
WINE=$1 HOST=$2 DIR=$3 INVITER=$4 INVITEE=$5 PHASES=$6 LIFETIME=${7:-}

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
cd "$DIR" || exit 1

MSGSC_TRANSPORT=udp MSGSC_IDENTITY="bob@127.0.0.1:$P1" MSGSC_LISTEN="127.0.0.1:$P1" MSGSC_LIFETIME_MS= \
  MSGSC_TEST_PEER="alice@127.0.0.1:$P2" \
  "$WINE" "$HOST" --timeout 60 --wait "$INVITEE" </dev/null >"$RUN/bob.out" 2>"$RUN/bob.err" &
bob=$!
for _ in $(seq 1 300); do
  ss -Hlun "sport = :$P1" | grep -q . && break
  kill -0 "$bob" 2>/dev/null || break
  sleep 0.1
done
rc_alice=0
MSGSC_TRANSPORT=udp MSGSC_IDENTITY="alice@127.0.0.1:$P2" MSGSC_LISTEN="127.0.0.1:$P2" \
  MSGSC_TEST_PEER="bob@127.0.0.1:$P1" MSGSC_TEST_PHASES="$PHASES" MSGSC_LIFETIME_MS="$LIFETIME" \
  "$WINE" "$HOST" --timeout 60 "$INVITER" </dev/null >"$RUN/alice.out" 2>"$RUN/alice.err" || rc_alice=$?
rc_bob=0
wait "$bob" || rc_bob=$?
bob=
echo "---- alice ($INVITER, 127.0.0.1:$P2, exit $rc_alice)"; cat "$RUN/alice.out" "$RUN/alice.err"
echo "---- bob ($INVITEE, 127.0.0.1:$P1, exit $rc_bob)"; cat "$RUN/bob.out" "$RUN/bob.err"
if [ "$rc_alice" -eq 0 ] && [ "$rc_bob" -eq 0 ] && grep -q "checks, fails=0" "$RUN/alice.out" \
   && grep -q "checks, fails=0" "$RUN/bob.out" && ! grep -q "not ok" "$RUN/alice.out" "$RUN/bob.out"; then
  echo "two-processes: ok"
  exit 0
fi
echo "two-processes: FAIL"
exit 1
