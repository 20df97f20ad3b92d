#!/usr/bin/env bash
# msgsc command 2: run every test.  `.ci/run` calls exactly this.
#
#   scripts/test.sh [--only PRESET]... [--fuzz-seconds N] [--keep-going] [--no-valgrind]
#
#   --only PRESET     host, sanitize, x86_64 or i686; repeatable (or comma-separated).  Default: all.
#   --fuzz-seconds N  how long each libFuzzer target runs (-DMSGSC_FUZZ_SECONDS, sanitize preset).
#   --keep-going      after a failed configure/build, go on with the next preset.
#   --no-valgrind     skip the valgrind (ctest -T memcheck) pass over the host tests.
#
# First makes sure the dependencies are there (scripts/setup.sh --deps-only, fast when they are).
# Then for each preset: configure, build, ctest; the host tests also run a second time under
# valgrind; the Wine presets get a warm wineserver first.  Logs: build/logs/.
# The very last line is always `total: N passed, N failed`; a step that errors (setup, configure,
# build, a ctest run without a result) counts as one failure.  Exit status 0 only if N failed is 0.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

ALL_PRESETS=(host sanitize x86_64 i686)
PRESETS=()
FUZZ_SECONDS=""
KEEP_GOING=0
VALGRIND=1
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --only)
      [ $# -ge 2 ] || { echo "test.sh: --only needs a preset" >&2; exit 2; }
      IFS=, read -r -a list <<<"$2"
      for p in "${list[@]}"; do
        case " ${ALL_PRESETS[*]} " in
          *" $p "*) PRESETS+=("$p") ;;
          *) echo "test.sh: unknown preset '$p' (one of: ${ALL_PRESETS[*]})" >&2; exit 2 ;;
        esac
      done
      shift 2 ;;
    --only=*) set -- --only "${1#--only=}" "${@:2}" ;;
    --fuzz-seconds)
      [[ "${2:-}" =~ ^[0-9]+$ ]] || { echo "test.sh: --fuzz-seconds needs a number" >&2; exit 2; }
      FUZZ_SECONDS="$2"; shift 2 ;;
    --fuzz-seconds=*) set -- --fuzz-seconds "${1#--fuzz-seconds=}" "${@:2}" ;;
    --keep-going) KEEP_GOING=1; shift ;;
    --no-valgrind) VALGRIND=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "test.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ ${#PRESETS[@]} -gt 0 ] || PRESETS=("${ALL_PRESETS[@]}")

LOGDIR="$ROOT/build/logs"
mkdir -p "$LOGDIR"
T0=$SECONDS
PASSED=0
FAILED=0
PROBLEMS=()      # one line per failed step or ctest run, repeated in the summary
WINE_USED=0
DONE=0

say() { printf '[test %4ds] %s\n' "$((SECONDS - T0))" "$*"; }
problem() { PROBLEMS+=("$*"); say "FAILED: $*"; }
step_error() { FAILED=$((FAILED + 1)); problem "$@"; }

on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$WINE_USED" -eq 1 ]; then msgsc_wine_stop; fi
  if [ "$DONE" -eq 0 ]; then
    FAILED=$((FAILED + 1))
    PROBLEMS+=("test.sh stopped early (exit status $rc)")
  fi
  echo
  say "summary (logs in build/logs/):"
  if [ ${#PROBLEMS[@]} -eq 0 ]; then
    echo "  no failures"
  else
    printf '  - %s\n' "${PROBLEMS[@]}"
  fi
  echo "total: $PASSED passed, $FAILED failed"
  if [ "$FAILED" -eq 0 ] && [ "$rc" -eq 0 ]; then exit 0; fi
  exit 1
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# run_step <log> <what> <cmd...>: run quietly into a log; on failure show its tail.
run_step() {
  local log="$1" what="$2"; shift 2
  local t=$SECONDS
  if "$@" >"$log" 2>&1 </dev/null; then
    say "$what: ok ($((SECONDS - t)) s)"
    return 0
  fi
  echo "----- last lines of $log -----"
  tail -n 40 "$log"
  echo "-----"
  step_error "$what (log: build/logs/$(basename "$log"))"
  return 1
}

# run_ctest <label> <dir> <ctest args...>: run ctest in <dir> (output shown and logged), add its
# counts.  <dir> matters only without --preset (dashboard mode, -T, works in the current directory).
run_ctest() {
  local label="$1" dir="$2"; shift 2
  local log="$LOGDIR/ctest-$label.log" rc=0 t=$SECONDS summary failed total
  if [ "$dir" = "$ROOT" ]; then say "ctest $label: ctest $*"
  else say "ctest $label: (cd ${dir#"$ROOT"/} && ctest $*)"; fi
  (cd "$dir" && exec ctest "$@") </dev/null 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$summary" ]; then
    step_error "ctest $label: no result (exit status $rc; log: build/logs/$(basename "$log"))"
    return 0
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
  total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
  PASSED=$((PASSED + total - failed))
  FAILED=$((FAILED + failed))
  if [ "$failed" -gt 0 ]; then
    problem "ctest $label: $failed of $total failed: $(grep -E '^[[:space:]]+[0-9]+ - ' "$log" \
              | sed -E 's/^[[:space:]]+[0-9]+ - ([^ ]+).*/\1/' | tr '\n' ' ')"
  elif [ "$rc" -ne 0 ]; then
    step_error "ctest $label: exit status $rc although no test failed (log: build/logs/$(basename "$log"))"
  fi
  say "ctest $label: $((total - failed)) passed, $failed failed ($((SECONDS - t)) s)"
}

# ------------------------------------------------------------------------ dependencies
say "dependencies: scripts/setup.sh --deps-only"
if ! "$ROOT/scripts/setup.sh" --deps-only; then
  step_error "scripts/setup.sh --deps-only"
  DONE=1
  exit 1
fi

# ------------------------------------------------------------------------ presets
VALGRIND_OPTS="--tool=memcheck --error-exitcode=1 --leak-check=full --show-leak-kinds=definite,possible \
--errors-for-leak-kinds=definite,possible --track-origins=yes --num-callers=40 -q"

for p in "${PRESETS[@]}"; do
  say "=== $p ==="
  cfg=(cmake --preset "$p")
  [ -n "$FUZZ_SECONDS" ] && [ "$p" = sanitize ] && cfg+=("-DMSGSC_FUZZ_SECONDS=$FUZZ_SECONDS")
  if ! run_step "$LOGDIR/$p-configure.log" "$p: configure" "${cfg[@]}" \
     || ! run_step "$LOGDIR/$p-build.log" "$p: build" cmake --build --preset "$p"; then
    if [ "$KEEP_GOING" -eq 1 ]; then continue; fi
    say "stopping here (fail fast; --keep-going goes on with the next preset)"
    break
  fi
  case "$p" in
    host)
      run_ctest host "$ROOT" --preset host
      if [ "$VALGRIND" -eq 1 ]; then
        # Same tests under valgrind; --error-exitcode makes a memory error or leak fail the test.
        # (-T cannot be combined with --preset: it reads DartConfiguration.tcl from the cwd.)
        run_ctest host-valgrind "$ROOT/build/host" -T memcheck --output-on-failure \
          --timeout 300 --no-tests=error -LE "sip|bench" \
          --overwrite "MemoryCheckCommand=$(command -v valgrind)" \
          --overwrite "MemoryCheckCommandOptions=$VALGRIND_OPTS"
      fi ;;
    sanitize)
      run_ctest sanitize "$ROOT" --preset sanitize ;;
    x86_64|i686)
      # Warm Wine up outside ctest with stdio on /dev/null: if a test is the first to start the
      # wineserver and services they inherit ctest's pipe and ctest hangs (toolchain.md §3).
      WINE_USED=1
      t=$SECONDS
      if ! msgsc_wine_warm; then
        step_error "$p: warming Wine up (wine wineboot) failed"
        [ "$KEEP_GOING" -eq 1 ] && continue
        break
      fi
      say "$p: wine warm ($((SECONDS - t)) s)"
      run_ctest "$p" "$ROOT" --preset "$p" --timeout 300 ;;
  esac
done

DONE=1
exit 0
