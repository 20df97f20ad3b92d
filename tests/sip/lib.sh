# shellcheck shell=bash
# tests/sip/lib.sh: helpers to run Kamailio and SIPp on loopback for msgsc's SIP tests.
#
#   source tests/sip/lib.sh
#   sip_init [rundir]            # run dir (default: a new mktemp dir, removed on exit unless
#                                # SIP_KEEP=1); installs an EXIT/INT/TERM trap that stops
#                                # every process started through these helpers
#   port=$(free_port)            # a port free for both UDP and TCP on 127.0.0.1
#   kam_start "$port" [rundir] [-A WITH_PROXYAUTH ...]  # sets KAM_PID, prints it
#   sipp_run register.xml -p "$p" -s bob -au bob -ap bobpw 127.0.0.1:"$port"
#   sipp_bg uas_accept.xml -p "$p" -s bob; wait_port udp "$p"; ...; sipp_wait "$SIPP_PID"
#   kam_stop
#
# Every function returns non-zero on failure and says why on stderr. Nothing is left
# running: sip_cleanup (the trap) TERMs, then KILLs, each tracked pid that is still alive.
#
# Tunables (environment): SIP_SIPP_TIMEOUT (global SIPp timeout, default 15s),
# SIP_SIPP_RECV_TIMEOUT (ms, default 5000), SIP_KAM_CFG (config, default ./kamailio.cfg), SIP_KAM_SHM_MB (shared memory, default 64),
# SIP_KEEP=1 (keep a mktemp run dir).

SIP_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SIP_SCENARIOS=${SIP_SCENARIOS:-$SIP_LIB_DIR/scenarios}
SIP_KAM_CFG=${SIP_KAM_CFG:-$SIP_LIB_DIR/kamailio.cfg}
SIP_SIPP_TIMEOUT=${SIP_SIPP_TIMEOUT:-15s}
SIP_SIPP_RECV_TIMEOUT=${SIP_SIPP_RECV_TIMEOUT:-5000}
SIP_RUN=${SIP_RUN:-}
SIP_RUN_OWNED=0
KAM_PID=
export KAM_RUN=''    # Kamailio's run dir (log: $KAM_RUN/kamailio.log), set by kam_start
SIPP_PID=
SIPP_LOG=
SIP_SEQ=0

_sip_err() { printf 'sip: %s\n' "$*" >&2; }

# sip_init [rundir]: create the run dir and install the cleanup trap.
# shellcheck disable=SC2120  # the argument is optional
sip_init() {
  if [ -n "${1:-}" ]; then
    SIP_RUN=$1
    mkdir -p "$SIP_RUN" || { _sip_err "cannot create run dir $SIP_RUN"; return 1; }
    SIP_RUN_OWNED=0
  else
    SIP_RUN=$(mktemp -d "${TMPDIR:-/tmp}/msgsc-sip.XXXXXX") || return 1
    SIP_RUN_OWNED=1
  fi
  SIP_RUN=$(cd "$SIP_RUN" && pwd)
  : >"$SIP_RUN/pids"
  trap 'sip_cleanup' EXIT
  trap 'sip_cleanup; trap - INT; kill -INT $$' INT
  trap 'sip_cleanup; trap - TERM; kill -TERM $$' TERM
}

_sip_need_run() {
  # shellcheck disable=SC2119  # no argument: a fresh mktemp run dir
  if [ -z "$SIP_RUN" ]; then sip_init || return 1; fi
}

# sip_track <pid>: stop this process in sip_cleanup.
sip_track() { _sip_need_run && echo "$1" >>"$SIP_RUN/pids"; }

# _sip_kill <pid> [grace_s]: TERM, wait up to grace (default 3 s), then KILL.
_sip_kill() {
  local pid=$1 grace=${2:-3} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < grace * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    _sip_err "pid $pid ignored SIGTERM, killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

# sip_cleanup: stop every tracked process; remove a mktemp run dir (unless SIP_KEEP=1).
sip_cleanup() {
  local pid
  if [ -n "$SIP_RUN" ] && [ -f "$SIP_RUN/pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] && _sip_kill "$pid" 3
    done <"$SIP_RUN/pids"
    : >"$SIP_RUN/pids"
  fi
  if [ "$SIP_RUN_OWNED" = 1 ] && [ "${SIP_KEEP:-0}" != 1 ] && [ -n "$SIP_RUN" ]; then
    rm -rf "$SIP_RUN"
    SIP_RUN=
    SIP_RUN_OWNED=0
  fi
}

# port_in_use udp|tcp <port>: true when a socket on 127.0.0.1/any uses that local port.
port_in_use() {
  local proto=$1 port=$2 opt
  case "$proto" in udp) opt=-Haun ;; tcp) opt=-Hatn ;; *) _sip_err "port_in_use: udp|tcp"; return 2 ;; esac
  [ -n "$(ss $opt "( sport = :$port )" 2>/dev/null)" ]
}

# free_port: print a port (20000-59999) on which neither a UDP nor a TCP socket exists.
# Ports already handed out in this run dir (recorded in <rundir>/ports) are not given twice.
free_port() {
  local p i used=
  [ -n "$SIP_RUN" ] && [ -f "$SIP_RUN/ports" ] && used=$(cat "$SIP_RUN/ports")
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    case " ${used//$'\n'/ } " in *" $p "*) continue ;; esac
    port_in_use udp "$p" && continue
    port_in_use tcp "$p" && continue
    [ -n "$SIP_RUN" ] && echo "$p" >>"$SIP_RUN/ports"
    echo "$p"
    return 0
  done
  _sip_err "free_port: no free port found"
  return 1
}

# wait_port udp|tcp <port> [timeout_s=5]: wait until something listens there.
wait_port() {
  local proto=$1 port=$2 t=${3:-5} opt i
  case "$proto" in udp) opt=-Hlun ;; tcp) opt=-Hltn ;; *) _sip_err "wait_port: udp|tcp"; return 2 ;; esac
  for ((i = 0; i < t * 50; i++)); do
    [ -n "$(ss $opt "( sport = :$port )" 2>/dev/null)" ] && return 0
    sleep 0.02
  done
  _sip_err "wait_port: nothing listens on $proto port $port after ${t}s"
  return 1
}

# kam_start <port> [rundir] [kamailio args (-A ...)]: start Kamailio in the background with
# tests/sip/kamailio.cfg on 127.0.0.1:<port> (UDP+TCP). Its log is <rundir>/kamailio.log.
# Sets KAM_PID (and KAM_RUN, KAM_PORT) and prints the pid. Fails after ~5 s.
kam_start() {
  local port=$1 dir='' i
  shift
  case "${1:-}" in -*|'') ;; *) dir=$1; shift ;; esac
  _sip_need_run || return 1
  [ -n "$dir" ] || dir=$SIP_RUN/kamailio-$port
  mkdir -p "$dir" || return 1
  dir=$(cd "$dir" && pwd)
  command -v kamailio >/dev/null || { _sip_err "kamailio is not installed (apt-get install kamailio)"; return 1; }
  if port_in_use udp "$port" || port_in_use tcp "$port"; then
    _sip_err "kam_start: port $port is already in use"; return 1
  fi
  kamailio -f "$SIP_KAM_CFG" -A "SIPPORT=$port" "$@" -Y "$dir" -P "$dir/kamailio.pid" -w "$dir" \
    -DD -E -m "${SIP_KAM_SHM_MB:-64}" -M 8 </dev/null >"$dir/kamailio.log" 2>&1 &
  KAM_PID=$!
  KAM_RUN=$dir
  KAM_PORT=$port
  sip_track "$KAM_PID"
  echo "$KAM_PID" >"$dir/main.pid"
  for ((i = 0; i < 250; i++)); do
    if ! kill -0 "$KAM_PID" 2>/dev/null; then
      _sip_err "kamailio exited at start-up; last lines of $dir/kamailio.log:"
      tail -n 15 "$dir/kamailio.log" >&2
      KAM_PID=
      return 1
    fi
    if [ -n "$(ss -Hlun "( sport = :$port )" 2>/dev/null)" ] &&
       [ -n "$(ss -Hltn "( sport = :$port )" 2>/dev/null)" ]; then
      echo "$KAM_PID"
      return 0
    fi
    sleep 0.02
  done
  _sip_err "kamailio did not listen on udp+tcp $port within 5 s; log: $dir/kamailio.log"
  tail -n 15 "$dir/kamailio.log" >&2
  _sip_kill "$KAM_PID" 3
  KAM_PID=
  return 1
}

# kam_stop [pid]: stop Kamailio (default $KAM_PID) and wait until its port is released.
kam_stop() {
  local pid=${1:-$KAM_PID} port=${KAM_PORT:-} i
  [ -n "$pid" ] || return 0
  _sip_kill "$pid" 5
  if [ -n "$port" ]; then
    for ((i = 0; i < 150; i++)); do
      { [ -z "$(ss -Hlun "( sport = :$port )" 2>/dev/null)" ] &&
        [ -z "$(ss -Hltn "( sport = :$port )" 2>/dev/null)" ]; } && break
      sleep 0.02
    done
  fi
  [ "$pid" = "$KAM_PID" ] && KAM_PID=
  return 0
}

# _sipp_cmd <scenario> <args...>: build SIPP_ARGV (scenario resolved against scenarios/).
_sipp_cmd() {
  local sf=$1 name
  shift
  if [ ! -f "$sf" ] && [ -f "$SIP_SCENARIOS/$sf" ]; then sf=$SIP_SCENARIOS/$sf; fi
  [ -f "$sf" ] || { _sip_err "no scenario $sf"; return 1; }
  command -v sipp >/dev/null || { _sip_err "sipp is not installed (apt-get install sip-tester)"; return 1; }
  sf=$(cd "$(dirname "$sf")" && pwd)/$(basename "$sf")
  name=$(basename "$sf" .xml)
  SIP_SEQ=$((SIP_SEQ + 1))
  SIPP_LOG=$SIP_RUN/$(printf '%02d' "$SIP_SEQ")-$name
  SIPP_ARGV=(sipp -sf "$sf" -i 127.0.0.1 -nostdin -trace_err -error_file "$SIPP_LOG.errors"
             -trace_msg -message_file "$SIPP_LOG.messages"
             -timeout "$SIP_SIPP_TIMEOUT" -timeout_error -recv_timeout "$SIP_SIPP_RECV_TIMEOUT"
             -m 1 "$@")
}

# sipp_run <scenario> <args...>: run SIPp in the foreground with the safe defaults
# (-i 127.0.0.1 -nostdin -trace_err -trace_msg -timeout 15s -timeout_error -recv_timeout 5000
# -m 1), then <args> (give -p, -t, -s, -au/-ap and the remote host:port there).
# Screen output goes to $SIPP_LOG.log, errors to $SIPP_LOG.errors, messages to
# $SIPP_LOG.messages. Returns SIPp's exit code (0 ok, 1 a call failed, 255 timeout/fatal).
sipp_run() {
  _sip_need_run || return 1
  _sipp_cmd "$@" || return 1
  local rc=0
  (cd "$SIP_RUN" && exec "${SIPP_ARGV[@]}" </dev/null >"$SIPP_LOG.log" 2>&1) || rc=$?
  return $rc
}

# sipp_bg <scenario> <args...>: the same in the background; sets SIPP_PID (tracked) and
# SIPP_LOG. Wait for its port with wait_port, collect its exit code with sipp_wait.
sipp_bg() {
  _sip_need_run || return 1
  _sipp_cmd "$@" || return 1
  (cd "$SIP_RUN" && exec "${SIPP_ARGV[@]}" </dev/null >"$SIPP_LOG.log" 2>&1) &
  SIPP_PID=$!
  sip_track "$SIPP_PID"
  echo "$SIPP_LOG" >"$SIP_RUN/log.$SIPP_PID"
}

# sipp_wait <pid> [timeout_s=30]: wait for a background SIPp; returns its exit code
# (124 and kills it if it is still running after the timeout).
sipp_wait() {
  local pid=$1 t=${2:-30} i rc=0
  for ((i = 0; i < t * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    _sip_err "sipp $pid still running after ${t}s, killing it"
    _sip_kill "$pid" 2
    return 124
  fi
  wait "$pid" || rc=$?
  return $rc
}

# sipp_explain [log_prefix]: print what a failed SIPp run left (errors and last messages).
sipp_explain() {
  local p=${1:-$SIPP_LOG}
  [ -s "$p.errors" ] && { echo "--- $p.errors"; tail -n 20 "$p.errors"; }
  [ -s "$p.messages" ] && { echo "--- $p.messages (tail)"; tail -n 40 "$p.messages"; }
  return 0
} >&2
