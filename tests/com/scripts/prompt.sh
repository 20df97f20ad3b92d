#!/usr/bin/env bash
# The accept/decline prompt end to end (docs/agent.md, "Ask"): bob's agent runs with Prompt=ask and
# shows its real MessageBoxW; press_prompt.exe plays bob.
#   prompt.sh WINE HOST.exe MSGSC.dll PRESS_PROMPT.exe DIR
# bob's application is registered ("Prompt Test", Path: launched.js in HOST) but does not run.
# alice (prompt_inviter.js, her own agent) invites it three times, one run per phase:
#   yes:    press_prompt checks the box's text (alice, "Prompt Test") and presses Yes: bob's agent
#           launches the application, which takes the session; alice hears OnAccepted and its report
#   no:     it presses No: alice hears OnDeclined and OnTermination(SR_INVITATION_DECLINED);
#           nothing is launched
#   cancel: it waits for the box and tells alice (a file), alice withdraws, and the box must go
#           away by itself; alice's session ends cancelled; nothing is launched
# The agents' log must show each decision.  Prints every output and the log, then "prompt: ok"
# when all of it passed and both agents stopped.
set -uo pipefail
WINE=$1 HOST=$2 DLL=$3 PRESS=$4 DIR=$5
APP="{6D5C0B01-7E57-4A11-9C0D-00000000E0E5}" NAME="Prompt Test"
SIPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../sip" && pwd)
# shellcheck source=tests/sip/lib.sh
source "$SIPDIR/lib.sh"
# shellcheck source=tests/com/scripts/agents.sh
source "$(dirname "${BASH_SOURCE[0]}")/agents.sh"   # winpath, agent ID PORT [VAR=VALUE...] start|stop
RUN=$(mktemp -d)
sip_init "$RUN/sip"
PB=$(free_port) PA=$(free_port)
BOB="bob@127.0.0.1:$PB" ALICE="alice@127.0.0.1:$PA"
DLLW=$(winpath "$DLL") HOSTW=$(winpath "$HOST") LAUNCHEDW=$(winpath "$DIR/launched.js") SHOWNW=$(winpath "$RUN/shown")
MSGSC_AGENT_LOG=$(winpath "$RUN/agents.log")
export MSGSC_TRANSPORT=udp MSGSC_LIFETIME_MS='' MSGSC_AGENT_LOG
APPS="HKLM\\Software\\Microsoft\\MessengerService\\SessionManager\\Apps"
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
  agent "$BOB" "$PB" stop >/dev/null 2>&1
  agent "$ALICE" "$PA" stop >/dev/null 2>&1
  "$WINE" reg delete "$APPS\\$APP" /f /reg:64 >/dev/null 2>&1
  rm -rf "$RUN"
}
trap cleanup EXIT
"$WINE" reg delete "$APPS\\$APP" /f /reg:64 >/dev/null 2>&1   # left over from an interrupted run
for v in "Name=$NAME" "URL=http://example.org/prompt" "Path=\"$HOSTW\" --timeout 60 \"$LAUNCHEDW\""; do
  "$WINE" reg add "$APPS\\$APP" /f /reg:64 /v "${v%%=*}" /d "${v#*=}" >/dev/null 2>&1
done

# bob's agent asks; the application it launches checks what it got against these
if ! agent "$BOB" "$PB" MSGSC_PROMPT=ask MSGSC_TEST_PEER="$ALICE" MSGSC_TEST_APP="$APP" MSGSC_TEST_APP_NAME="$NAME" \
       start </dev/null >"$RUN/bob.out" 2>&1 || ! ss -Hlun "sport = :$PB" | grep -q .; then
  echo "prompt: FAIL bob's agent did not start"; cat "$RUN/bob.out"; exit 1
fi

count() { grep -c "$1" "$RUN/agents.log" 2>/dev/null || true; }
fails=0
for phase in yes no cancel; do
  press=$phase; [ "$phase" = cancel ] && press=vanish
  rm -f "$RUN/shown"
  started=$(count ": started process") claimed=$(count ": claimed by process")
  declined=$(count ": declined") withdrawn=$(count ": withdrawn by ")
  env MSGSC_IDENTITY="$ALICE" MSGSC_LISTEN="127.0.0.1:$PA" MSGSC_TEST_PEER="$BOB" MSGSC_TEST_APP="$APP" \
    MSGSC_TEST_PHASE="$phase" MSGSC_TEST_SHOWN="$SHOWNW" "$WINE" "$HOST" --timeout 60 "$DIR/prompt_inviter.js" \
    </dev/null >"$RUN/alice-$phase.out" 2>&1 &
  alice=$!
  rc_press=0
  "$WINE" "$PRESS" "$press" "$ALICE" "$NAME" "$SHOWNW" </dev/null >"$RUN/press-$phase.out" 2>&1 || rc_press=$?
  rc_alice=0
  wait "$alice" || rc_alice=$?
  echo "---- [$phase] press_prompt $press (exit $rc_press)"; cat "$RUN/press-$phase.out"
  echo "---- [$phase] alice (exit $rc_alice)"; cat "$RUN/alice-$phase.out"
  # what bob's agent decided this time
  d_started=$(( $(count ": started process") - started )) d_claimed=$(( $(count ": claimed by process") - claimed ))
  d_declined=$(( $(count ": declined") - declined )) d_withdrawn=$(( $(count ": withdrawn by ") - withdrawn ))
  case $phase in
    yes) want="1 1 0 0" ;;
    no) want="0 0 1 0" ;;
    cancel) want="0 0 0 1" ;;
  esac
  got="$d_started $d_claimed $d_declined $d_withdrawn"
  if [ "$got" = "$want" ]; then
    echo "ok - prompt.sh: [$phase] bob's agent: launched, claimed, declined, withdrawn = $got"
  else
    echo "not ok - prompt.sh: [$phase] bob's agent: launched, claimed, declined, withdrawn = $got, want $want"
    fails=$((fails + 1))
  fi
  if [ "$rc_press" -ne 0 ] || ! grep -q "^press_prompt: [0-9]* checks, fails=0" "$RUN/press-$phase.out" \
     || [ "$rc_alice" -ne 0 ] || ! grep -q "^prompt_inviter.js: [0-9]* checks, fails=0" "$RUN/alice-$phase.out" \
     || grep -q "not ok" "$RUN/press-$phase.out" "$RUN/alice-$phase.out"; then
    echo "not ok - prompt.sh: [$phase] press_prompt or alice failed"
    fails=$((fails + 1))
  fi
done

agent "$BOB" "$PB" stop >/dev/null 2>&1; agent "$ALICE" "$PA" stop >/dev/null 2>&1
"$WINE" reg delete "$APPS\\$APP" /f /reg:64 >/dev/null 2>&1
echo "---- agents"; cat "$RUN/agents.log" 2>/dev/null
stopped=$(count "stopping")
if [ "$fails" -eq 0 ] && [ "$stopped" -ge 2 ]; then
  echo "prompt: ok"
  exit 0
fi
echo "prompt: FAIL ($fails failed phase checks, $stopped of 2 agents stopped)"
exit 1
