#!/usr/bin/env bash
# msgsc against real SIP peers on loopback: SIPp as an independent peer, Kamailio as registrar
# and proxy.  msgsc runs as msgsc-sip (src/demo/sip_agent.c), the engine over the SIP stack.
#
#   tests/sip/msgsc.sh MSGSC_SIP CASE
#
# Prints the outputs and "sip-test: ok" or "sip-test: FAIL <why>"; exits 0 only when ok.
# Cases: sipp_uas_{accept,decline,timeout,481,accept_bye481,accept_context}[_tcp],
# sipp_uac_{accept,cancel,context}[_tcp], sipp_garbage, kam_{accept,decline,cancel,timeout,
# not_registered,unknown}[_tcp].  (tests/sip/README.md; docs/sip-ua.md §8)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MSGSC=$1
CASE=$2
SC="$HERE/scenarios"
# shellcheck source=tests/sip/lib.sh
source "$HERE/lib.sh"
sip_init
command -v sipp >/dev/null || { echo "sip-test: FAIL sipp is not installed (scripts/setup.sh installs sip-tester)"; exit 1; }

fail() { echo "sip-test: FAIL $*"; exit 1; }
TP=u1 TCP=
case "$CASE" in *_tcp) TP=t1 TCP=--tcp; CASE=${CASE%_tcp} ;; esac

# msgsc_bg NAME ARGS...: msgsc-sip in the background, output in $SIP_RUN/NAME.out
msgsc_bg() {
  local name=$1; shift
  "$MSGSC" "$@" $TCP >"$SIP_RUN/$name.out" 2>"$SIP_RUN/$name.err" &
  eval "${name}_pid=$!"
  sip_track "$!"
}
# msgsc_fg NAME ARGS...: msgsc-sip in the foreground; sets NAME_rc
msgsc_fg() {
  local name=$1; shift
  "$MSGSC" "$@" $TCP >"$SIP_RUN/$name.out" 2>"$SIP_RUN/$name.err"
  eval "${name}_rc=$?"
}
msgsc_wait() { local pid_var="${1}_pid"; wait "${!pid_var}"; eval "${1}_rc=$?"; }
show() { local f; for f in "$@"; do echo "---- $f"; cat "$SIP_RUN/$f" 2>/dev/null; done; }
has() { grep -qF -- "$2" "$SIP_RUN/$1.out" || { show "$1.out" "$1.err"; fail "$1 did not print: $2"; }; }
lacks() { ! grep -qF -- "$2" "$SIP_RUN/$1.out" || { show "$1.out"; fail "$1 printed: $2"; }; }

S_ARGS=(-t "$TP")
case "$CASE" in
# ---- msgsc invites SIPp ---------------------------------------------------------------------
sipp_uas_*)
  scen=${CASE#sipp_}
  bob=$(free_port) me=$(free_port)
  sipp_bg "$scen.xml" -p "$bob" -s bob "${S_ARGS[@]}" || fail "sipp did not start"
  wait_port "$([ -n "$TCP" ] && echo tcp || echo udp)" "$bob" || fail "sipp is not listening"
  extra=(--hangup-after 200)
  [ "$scen" = uas_timeout ] && extra=(--lifetime 2)
  [ "$scen" = uas_accept_context ] && extra=(--context "msgsc-context-data" --hangup-after 500)
  msgsc_fg alice --me "alice@127.0.0.1:$me" --listen "127.0.0.1:$me" --invite "bob@127.0.0.1:$bob" \
    --data "msgsc-invite-data" --timeout 20000 "${extra[@]}"
  sipp_wait "$SIPP_PID"; src=$?
  show alice.out alice.err
  [ "$alice_rc" -eq 0 ] || fail "msgsc-sip exited $alice_rc"
  case "$scen" in
  uas_accept|uas_accept_bye481|uas_accept_context)
    has alice 'OnAccepted data="sipp-accept-data"'
    has alice 'done SS_TERMINATED hr=0x81000606' ;;
  uas_decline)
    has alice 'OnDeclined data="sipp-decline-data"'
    has alice 'done SS_DECLINED hr=0x81000602' ;;
  uas_timeout)
    has alice 'done SS_TERMINATED hr=0x81000609' ;;
  uas_481)
    has alice 'OnSendError hr=0x81000615'
    has alice 'done SS_TERMINATED hr=0x81000615' ;;
  esac
  [ "$src" -eq 0 ] || { sipp_explain 2>/dev/null; fail "sipp exited $src"; }
  ;;
# ---- SIPp invites msgsc ----------------------------------------------------------------------
sipp_uac_*)
  scen=${CASE#sipp_}
  bob=$(free_port) peer=$(free_port)
  answer=accept
  [ "$scen" = uac_cancel ] && answer=ignore
  msgsc_bg bob --me "bob@127.0.0.1:$bob" --listen "127.0.0.1:$bob" --answer "$answer" \
    --answer-data "msgsc-accept-data" --app "{6D1A0E10-0D1B-4C2B-9D45-8F3A2B1C0D77}" --timeout 20000
  wait_port udp "$bob" || fail "msgsc-sip is not listening"
  sipp_run "$scen.xml" -p "$peer" -s bob "${S_ARGS[@]}" "127.0.0.1:$bob"; src=$?
  msgsc_wait bob
  show bob.out bob.err
  has bob 'OnInvitation from=sipp@' 2>/dev/null || has bob 'OnInvitation from='
  has bob 'data="sipp-invite-data"'
  case "$scen" in
  uac_accept|uac_accept_context) has bob 'done SS_TERMINATED hr=0x81000607' ;;
  uac_cancel) has bob 'OnCancelled'; has bob 'done SS_CANCELLED hr=0x81000607' ;;
  esac
  [ "$bob_rc" -eq 0 ] || fail "msgsc-sip exited $bob_rc"
  [ "$src" -eq 0 ] || fail "sipp exited $src"
  ;;
# ---- malformed and oversized input: answered or dropped, msgsc stays up and exits cleanly -----
sipp_garbage)
  bob=$(free_port) peer=$(free_port)
  msgsc_bg bob --me "bob@127.0.0.1:$bob" --listen "127.0.0.1:$bob" --answer ignore --timeout 8000
  wait_port udp "$bob" || fail "msgsc-sip is not listening"
  for tp in u1 t1; do
    sipp_run uac_garbage.xml -p "$peer" -s bob -t "$tp" "127.0.0.1:$bob" || fail "uac_garbage ($tp) failed"
    if [ "$tp" = u1 ]; then
      sipp_run uac_oversized.xml -p "$peer" -s bob -t u1 "127.0.0.1:$bob" || fail "uac_oversized failed"
    else
      sipp_run uac_oversized.xml -p "$peer" -s bob -t t1 "127.0.0.1:$bob"   # we may close the stream
    fi
    sipp_run uac_options.xml -p "$peer" -s bob -t "$tp" "127.0.0.1:$bob" || fail "msgsc did not answer OPTIONS after garbage ($tp)"
  done
  kill -0 "$bob_pid" 2>/dev/null || fail "msgsc-sip died"
  msgsc_wait bob
  show bob.out bob.err
  # it ran into its --timeout (3) and shut down cleanly: a sanitizer report would change the code
  [ "$bob_rc" -eq 3 ] || fail "msgsc-sip exited $bob_rc (want 3: timeout, clean exit)"
  lacks bob OnInvitation
  ;;
# ---- two msgsc agents through Kamailio (registrar + proxy, digest auth) ----------------------
kam_*)
  kport=$(free_port) a=$(free_port) b=$(free_port)
  kam_start "$kport" >/dev/null || fail "kamailio did not start"
  P=(--proxy "127.0.0.1:$kport")
  answer=accept bobextra=() aliceextra=(--hangup-after 200) target=bob@msgsc.test
  case "$CASE" in
  kam_decline) answer=decline ;;
  kam_cancel) answer=ignore aliceextra=(--cancel-after 500) ;;
  kam_timeout) answer=ignore aliceextra=(--lifetime 2) ;;
  kam_not_registered) target=carol@msgsc.test aliceextra=() ;;
  kam_unknown) target=nobody@msgsc.test aliceextra=() ;;
  esac
  if [ "$target" = bob@msgsc.test ]; then
    msgsc_bg bob --me bob@msgsc.test --listen "127.0.0.1:$b" "${P[@]}" --password bobpw --answer "$answer" \
      --answer-data "bob-answer-data" --timeout 20000 "${bobextra[@]}"
    for _ in $(seq 1 100); do grep -q '^registered' "$SIP_RUN/bob.out" 2>/dev/null && break; sleep 0.1; done
    has bob registered
  fi
  msgsc_fg alice --me alice@msgsc.test --listen "127.0.0.1:$a" "${P[@]}" --password alicepw \
    --invite "$target" --data "alice-invite-data" --timeout 20000 "${aliceextra[@]}"
  [ "$target" = bob@msgsc.test ] && msgsc_wait bob
  show alice.out alice.err bob.out bob.err
  has alice registered
  [ "$alice_rc" -eq 0 ] || fail "alice exited $alice_rc"
  case "$CASE" in
  kam_accept)
    has bob 'OnInvitation from=alice@msgsc.test app={6D1A0E10-0D1B-4C2B-9D45-8F3A2B1C0D77}  data="alice-invite-data"'
    has alice 'OnAccepted data="bob-answer-data"'
    has alice 'done SS_TERMINATED hr=0x81000606'
    has bob 'OnTermination hr=0x81000607 data="bye from msgsc-sip"' ;;
  kam_decline)
    has alice 'OnDeclined data="bob-answer-data"'
    has alice 'done SS_DECLINED hr=0x81000602'
    has bob 'done SS_DECLINED hr=0x81000602' ;;
  kam_cancel)
    has bob 'data="alice-invite-data"'
    has bob 'OnCancelled data="cancelled by msgsc-sip"'      # through the proxy's own CANCEL
    has bob 'done SS_CANCELLED hr=0x81000607'
    has alice 'done SS_CANCELLED hr=0x81000606' ;;
  kam_timeout)
    has alice 'done SS_TERMINATED hr=0x81000609'
    has bob 'done SS_TERMINATED hr=0x81000609' ;;
  kam_not_registered|kam_unknown)
    has alice 'OnSendError hr=0x81000615'
    has alice 'done SS_TERMINATED hr=0x8100031E' ;;
  esac
  [ "$target" != bob@msgsc.test ] || [ "$bob_rc" -eq 0 ] || fail "bob exited $bob_rc"
  # both signed out as they stopped (answering the registrar's digest challenge): Kamailio has no
  # binding left, so a call to either gets 480, not a relay to a dead port
  for u in alice bob; do
    [ "$u" = bob ] && [ "$target" != bob@msgsc.test ] && continue
    sipp_run msgsc_like_uac_480.xml -p "$(free_port)" -t u1 -s "$u" "127.0.0.1:$kport" \
      || { sipp_explain; fail "$u is still registered after it stopped"; }
  done
  ;;
*) fail "unknown case $CASE" ;;
esac
echo "sip-test: ok"
