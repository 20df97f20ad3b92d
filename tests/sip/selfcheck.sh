#!/usr/bin/env bash
# tests/sip/selfcheck.sh: prove the SIP test fixtures (kamailio.cfg, lib.sh, scenarios/*.xml)
# work, without msgsc: SIPp plays both sides, directly and through Kamailio, and the
# garbage scenarios run against mock_peer.py. One line per check; exit 1 if any failed.
#
#   tests/sip/selfcheck.sh           run everything (about 20 s)
#   tests/sip/selfcheck.sh --keep    keep the run directory (logs, SIPp message traces)
#   tests/sip/selfcheck.sh -v        on a failure, also show the logs' tails
#
# Needs kamailio, sipp (sip-tester), ss (iproute2); python3 for the garbage checks (skipped
# without it). Uses free ports in 20000-59999 on 127.0.0.1 only.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KEEP=0
VERBOSE=0
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    -v|--verbose) VERBOSE=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "selfcheck.sh: unknown option '$a'" >&2; exit 2 ;;
  esac
done

# shellcheck source=tests/sip/lib.sh
source "$HERE/lib.sh"
export SIP_KEEP=$KEEP
sip_init || exit 1
T0=$(date +%s%N)
FAILS=0
CHECKS=0
SKIPS=0

for tool in kamailio sipp ss; do
  command -v "$tool" >/dev/null || { echo "FAIL missing tool: $tool (apt-get install kamailio sip-tester iproute2)"; exit 1; }
done

_ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# report <name> <rc> <t0> [logs...]: one line per check.
report() {
  local name=$1 rc=$2 t=$3 l
  shift 3
  CHECKS=$((CHECKS + 1))
  if [ "$rc" = 0 ]; then
    printf 'ok   %-70s %5d ms\n' "$name" "$(_ms "$t")"
  else
    FAILS=$((FAILS + 1))
    printf 'FAIL %-70s %5d ms (%s)\n' "$name" "$(_ms "$t")" "$rc"
    for l in "$@"; do
      [ -s "$l.errors" ] && sed -n '1,6p' "$l.errors" | cut -c1-220 | sed 's/^/     | /'
      if [ "$VERBOSE" = 1 ] && [ -s "$l.messages" ]; then
        tail -n 30 "$l.messages" | cut -c1-220 | sed 's/^/     > /'
      fi
    done
  fi
}

skip() { SKIPS=$((SKIPS + 1)); printf 'skip %s\n' "$*"; }

# pair <name> <uas.xml> <uac.xml> <t1|u1> <uas_port> <remote host:port> [uac args...]
# Starts the SIPp UAS (-s bob) on 127.0.0.1:<uas_port>, runs the UAC against <remote>;
# both must exit 0. Sets PAIR_UAS_LOG / PAIR_UAC_LOG.
pair() {
  local name=$1 uas=$2 uac=$3 t=$4 pu=$5 remote=$6 proto=udp rc=0 rcu=0 t0
  shift 6
  t0=$(date +%s%N)
  [ "$t" = t1 ] && proto=tcp
  sipp_bg "$uas" -p "$pu" -t "$t" -s bob
  local upid=$SIPP_PID
  PAIR_UAS_LOG=$SIPP_LOG
  if ! wait_port "$proto" "$pu" 5; then
    report "$name" "uas-not-listening" "$t0" "$PAIR_UAS_LOG"
    sipp_wait "$upid" 1 >/dev/null 2>&1
    return 1
  fi
  sipp_run "$uac" -p "$(free_port)" -t "$t" -s bob "$@" "$remote" || rc=$?
  PAIR_UAC_LOG=$SIPP_LOG
  if [ "$rc" = 0 ]; then
    sipp_wait "$upid" 20 || rcu=$?
  else
    sipp_wait "$upid" 2 2>/dev/null || rcu=$?
  fi
  local r=0
  [ "$rc" = 0 ] && [ "$rcu" = 0 ] || r="uac=$rc uas=$rcu"
  report "$name" "$r" "$t0" "$PAIR_UAC_LOG" "$PAIR_UAS_LOG"
  [ "$r" = 0 ]
}

# single <name> <expected rc list, e.g. "0" or "0 1"> <scenario> <args...>
single() {
  local name=$1 want=$2 rc=0 t0
  shift 2
  t0=$(date +%s%N)
  sipp_run "$@" || rc=$?
  case " $want " in
    *" $rc "*) report "$name" 0 "$t0" ;;
    *) report "$name" "rc=$rc, want $want" "$t0" "$SIPP_LOG" ;;
  esac
}

# assert <name> <command...>: a check that is just a command.
assert() {
  local name=$1 t0 rc=0
  shift
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || rc=$?
  report "$name" "$rc" "$t0"
}

# after <log> <start-line regex> <header regex>: the message whose first line matches has
# a header line matching (within its header section).
after() {
  awk -v s="$2" -v h="$3" '
    $0 ~ s { inmsg = 1; next }
    inmsg && /^\r?$/ { inmsg = 0 }
    inmsg && $0 ~ h { found = 1 }
    END { exit !found }' "$1.messages"
}

# ------------------------------------------------------------------ 1. Kamailio config
assert "kamailio -c kamailio.cfg" kamailio -c -f "$SIP_KAM_CFG"
assert "kamailio -c kamailio.cfg -A WITH_PROXYAUTH -A WITH_DEBUG" \
  kamailio -c -f "$SIP_KAM_CFG" -A WITH_PROXYAUTH -A WITH_DEBUG -A SIPPORT=5999

# ------------------------------------------------------------------ 2. SIPp <-> SIPp, no proxy
U=$(free_port)
D=127.0.0.1:$U
pair "direct udp: uac_accept / uas_accept" uas_accept.xml uac_accept.xml u1 "$U" "$D"
pair "direct udp: uac_cancel / uas_timeout" uas_timeout.xml uac_cancel.xml u1 "$U" "$D"
pair "direct udp: msgsc_like_uac_decline / uas_decline" uas_decline.xml msgsc_like_uac_decline.xml u1 "$U" "$D"
pair "direct udp: msgsc_like_uac_481 / uas_481" uas_481.xml msgsc_like_uac_481.xml u1 "$U" "$D"
pair "direct udp: msgsc_like_uac_accept_bye481 / uas_accept_bye481" \
  uas_accept_bye481.xml msgsc_like_uac_accept_bye481.xml u1 "$U" "$D"
pair "direct udp: uac_accept_context / uas_accept_context" uas_accept_context.xml uac_accept_context.xml u1 "$U" "$D"
pair "direct tcp: uac_accept / uas_accept" uas_accept.xml uac_accept.xml t1 "$U" "$D"
pair "direct tcp: uac_cancel / uas_timeout" uas_timeout.xml uac_cancel.xml t1 "$U" "$D"
pair "direct tcp: msgsc_like_uac_decline / uas_decline" uas_decline.xml msgsc_like_uac_decline.xml t1 "$U" "$D"

# ------------------------------------------------------------------ 3. through Kamailio
K=$(free_port)
if kam_start "$K" >/dev/null; then
  report "kamailio listens on udp+tcp 127.0.0.1:$K" 0 "$(date +%s%N)"
  P=127.0.0.1:$K
  B=$(free_port)     # bob's UDP contact
  BT=$(free_port)    # bob's TCP contact
  single "proxy: register.xml bob, wrong password refused" "1" register.xml -p "$B" -t u1 -s bob -au bob -ap wrong "$P"
  single "proxy: register.xml bob (401, then 200)" "0" register.xml -p "$B" -t u1 -s bob -au bob -ap bobpw "$P"
  if pair "proxy udp: msgsc_like_uac_accept / uas_accept" uas_accept.xml msgsc_like_uac_accept.xml u1 "$B" "$P"; then
    t0=$(date +%s%N)
    r=0
    after "$PAIR_UAS_LOG" '^INVITE ' '^Record-Route: <sip:127\.0\.0\.1:'"$K"';lr>' || r="no Record-Route at the UAS"
    [ "$r" = 0 ] && { after "$PAIR_UAC_LOG" '^BYE ' '^Route: <sip:127\.0\.0\.1:'"$K"';lr>' || r="BYE not routed through the proxy"; }
    [ "$r" = 0 ] && { after "$PAIR_UAS_LOG" '^ACK ' '^Via: SIP/2\.0/UDP 127\.0\.0\.1:'"$K" || r="ACK did not come through the proxy"; }
    report "proxy udp: Record-Route, ACK and BYE through the proxy" "$r" "$t0"
  fi
  pair "proxy udp: uac_accept / uas_accept" uas_accept.xml uac_accept.xml u1 "$B" "$P"
  pair "proxy udp: msgsc_like_uac_accept_context / uas_accept_context (INFO)" \
    uas_accept_context.xml msgsc_like_uac_accept_context.xml u1 "$B" "$P"
  pair "proxy udp: msgsc_like_uac_decline / uas_decline" uas_decline.xml msgsc_like_uac_decline.xml u1 "$B" "$P"
  if pair "proxy udp: msgsc_like_uac_cancel / uas_timeout" uas_timeout.xml msgsc_like_uac_cancel.xml u1 "$B" "$P"; then
    t0=$(date +%s%N)
    r=0
    after "$PAIR_UAC_LOG" '^SIP/2\.0 487 ' '^Via: ' || r="487 reached the UAC without a Via"
    report "proxy udp: the 487 keeps the inviter's Via" "$r" "$t0"
  fi
  pair "proxy udp: msgsc_like_uac_481 / uas_481" uas_481.xml msgsc_like_uac_481.xml u1 "$B" "$P"
  pair "proxy udp: msgsc_like_uac_accept_bye481 / uas_accept_bye481" \
    uas_accept_bye481.xml msgsc_like_uac_accept_bye481.xml u1 "$B" "$P"
  single "proxy: carol (not registered) -> 480" "0" msgsc_like_uac_480.xml -p "$(free_port)" -t u1 -s carol "$P"
  single "proxy: nobody (unknown user) -> 404" "0" msgsc_like_uac_404.xml -p "$(free_port)" -t u1 -s nobody "$P"
  # One contact at a time: with two bindings Kamailio forks to both, and a contact nobody
  # listens on delays a non-2xx final answer by tm's fr_timer (5 s).
  single "proxy: unregister.xml bob (udp)" "0" unregister.xml -p "$B" -t u1 -s bob -au bob -ap bobpw "$P"
  single "proxy: register.xml bob over tcp" "0" register.xml -p "$BT" -t t1 -s bob -au bob -ap bobpw "$P"
  pair "proxy tcp: msgsc_like_uac_accept / uas_accept" uas_accept.xml msgsc_like_uac_accept.xml t1 "$BT" "$P"
  pair "proxy tcp: msgsc_like_uac_cancel / uas_timeout" uas_timeout.xml msgsc_like_uac_cancel.xml t1 "$BT" "$P"
  single "proxy: unregister.xml bob (tcp)" "0" unregister.xml -p "$BT" -t t1 -s bob -au bob -ap bobpw "$P"
  single "proxy: bob unregistered -> 480" "0" msgsc_like_uac_480.xml -p "$(free_port)" -t u1 -s bob "$P"
  kam_stop
else
  report "kamailio listens on udp+tcp 127.0.0.1:$K" "start failed" "$(date +%s%N)"
fi

# ------------------------------------------------------------------ 4. Kamailio with proxy auth
K2=$(free_port)
if kam_start "$K2" -A WITH_PROXYAUTH >/dev/null; then
  P2=127.0.0.1:$K2
  B2=$(free_port)
  single "proxyauth: register.xml bob" "0" register.xml -p "$B2" -t u1 -s bob -au bob -ap bobpw "$P2"
  pair "proxyauth udp: msgsc_like_uac_accept_auth / uas_accept (407)" \
    uas_accept.xml msgsc_like_uac_accept_auth.xml u1 "$B2" "$P2" -au alice -ap alicepw
  single "proxyauth: unauthenticated INVITE -> 407" "0" \
    msgsc_like_uac_407.xml -p "$(free_port)" -t u1 -s bob "$P2"
  kam_stop
else
  report "kamailio -A WITH_PROXYAUTH listens on 127.0.0.1:$K2" "start failed" "$(date +%s%N)"
fi

# ------------------------------------------------------------------ 5. garbage vs mock_peer.py
if command -v python3 >/dev/null; then
  for mode in answers quiet; do
    M=$(free_port)
    margs=()
    [ "$mode" = quiet ] && margs=(--quiet)
    python3 "$HERE/mock_peer.py" "$M" "${margs[@]}" >"$SIP_RUN/mock-$M.log" 2>&1 &
    MPID=$!
    sip_track "$MPID"
    if wait_port udp "$M" 5 && wait_port tcp "$M" 5; then
      G=127.0.0.1:$M
      single "mock ($mode) udp: uac_garbage.xml" "0" uac_garbage.xml -p "$(free_port)" -t u1 -s bob "$G"
      single "mock ($mode) tcp: uac_garbage.xml" "0" uac_garbage.xml -p "$(free_port)" -t t1 -s bob "$G"
      single "mock ($mode) udp: uac_oversized.xml" "0" uac_oversized.xml -p "$(free_port)" -t u1 -s bob "$G"
      single "mock ($mode) tcp: uac_oversized.xml (peer closes: 0 or 1)" "0 1" \
        uac_oversized.xml -p "$(free_port)" -t t1 -s bob "$G"
      single "mock ($mode) tcp: uac_options.xml after that" "0" uac_options.xml -p "$(free_port)" -t t1 -s bob "$G"
      single "mock ($mode) udp: uac_options.xml" "0" uac_options.xml -p "$(free_port)" -t u1 -s bob "$G"
    else
      report "mock_peer.py ($mode) listens on $M" "start failed" "$(date +%s%N)"
    fi
    _sip_kill "$MPID" 2
  done
else
  skip "garbage scenarios vs mock_peer.py: python3 not installed"
fi

# ------------------------------------------------------------------ summary
# every process started through lib.sh has ended by now
none_left() {
  local p
  while read -r p; do
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null && return 1
  done <"$SIP_RUN/pids"
  return 0
}
assert "nothing left running (Kamailio, SIPp, mock)" none_left
printf '%d checks, %d failed, %d skipped, %d ms%s\n' "$CHECKS" "$FAILS" "$SKIPS" "$(_ms "$T0")" \
  "$([ "$KEEP" = 1 ] && echo ", logs in $SIP_RUN")"
[ "$FAILS" = 0 ]
