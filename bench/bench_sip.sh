#!/usr/bin/env bash
# bench/bench_sip.sh: run msgsc-bench-sip direct over UDP, direct over TCP and through Kamailio
# (tests/sip/kamailio.cfg, started and stopped with tests/sip/lib.sh's helpers on a free port).
# It builds nothing: build the Release configuration first (docs/benchmarks.md, "SIP").
#
#   bench/bench_sip.sh [--bin PATH] [--only LIST] [--kam-args "ARGS"] [ARGS...]
#     --bin PATH   the binary (default: build/bench/bench/msgsc-bench-sip, or $MSGSC_BENCH_SIP)
#     --only LIST  comma list of configurations: direct-udp, direct-tcp, kamailio-udp,
#                  kamailio-tcp (default: direct-udp,direct-tcp,kamailio-udp)
#     --kam-args   added after ARGS in the Kamailio runs (default "--rounds 1000 --invitations
#                  1000 --sessions none": lib.sh starts Kamailio with 64 MB of shared memory and
#                  its tm module keeps every transaction 5 s after it ends; about 2000 sessions
#                  within 5 s exhaust it, and it then answers 500 to INVITEs and BYEs)
#     ARGS         passed to every run (--quick, --rounds N, --concurrency K, ...)
#
# Markdown on stdout (one section per configuration), progress on stderr.  Exit status: 0 when
# every run succeeded, 1 otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BIN=${MSGSC_BENCH_SIP:-$ROOT/build/bench/bench/msgsc-bench-sip}
ONLY=direct-udp,direct-tcp,kamailio-udp
KAM_ARGS="--rounds 1000 --invitations 1000 --sessions none"
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
  --bin) BIN=$2; shift 2 ;;
  --only) ONLY=$2; shift 2 ;;
  --kam-args) KAM_ARGS=$2; shift 2 ;;
  *) ARGS+=("$1"); shift ;;
  esac
done
[ -x "$BIN" ] || { echo "bench_sip.sh: no $BIN; build it first:" >&2
  echo "  cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF && cmake --build build/bench" >&2
  exit 1; }

# shellcheck source=tests/sip/lib.sh
source "$ROOT/tests/sip/lib.sh"
sip_init

failed=0
run() {   # run TITLE ARGS...
  local title=$1 rc=0 t0 t1
  shift
  echo "## $title"
  echo
  echo "\`msgsc-bench-sip $*\`"
  echo
  echo "== $title" >&2
  t0=$(date +%s.%N)
  "$BIN" "$@" || rc=$?
  t1=$(date +%s.%N)
  printf '== %s: exit %d after %.1f s\n' "$title" "$rc" "$(echo "$t1 - $t0" | bc)" >&2
  [ "$rc" -eq 0 ] || { echo; echo "(failed: exit status $rc)"; failed=1; }
  echo
}

kamailio_run() {   # kamailio_run TITLE ARGS...
  local title=$1 port
  shift
  command -v kamailio >/dev/null || { echo "bench_sip.sh: kamailio is not installed" >&2; failed=1; return; }
  port=$(free_port) || { failed=1; return; }
  kam_start "$port" >/dev/null || { echo "bench_sip.sh: kamailio did not start" >&2; failed=1; return; }
  run "$title (Kamailio 127.0.0.1:$port)" --proxy "127.0.0.1:$port" "$@"
  kam_stop "$KAM_PID"
}

read -r -a KAM <<<"$KAM_ARGS"
IFS=, read -r -a configs <<<"$ONLY"
for c in "${configs[@]}"; do
  case "$c" in
  direct-udp) run "direct, UDP" "${ARGS[@]}" ;;
  direct-tcp) run "direct, TCP" --tcp "${ARGS[@]}" ;;
  kamailio-udp) kamailio_run "through Kamailio, UDP" "${ARGS[@]}" "${KAM[@]}" ;;
  kamailio-tcp) kamailio_run "through Kamailio, TCP" --tcp "${ARGS[@]}" "${KAM[@]}" ;;
  *) echo "bench_sip.sh: unknown configuration $c" >&2; failed=1 ;;
  esac
done
exit "$failed"
