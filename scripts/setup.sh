#!/usr/bin/env bash
# msgsc command 1: install whatever is missing, then build the host configuration and run the demo.
#
#   scripts/setup.sh               everything, ending with the demo
#   scripts/setup.sh --deps-only   only the dependencies (scripts/test.sh runs this)
#
# Idempotent, and quick (a few seconds) when everything is already there.  Steps:
#   a. Debian packages (toolchain, Wine, cmocka, clang + libFuzzer, valgrind)
#   b. the i386 architecture and wine32:i386 (with a workaround for a half-synced security mirror)
#   c. cmocka cross-built for mingw x86_64 and i686 from Debian's source package, into $MSGSC_CACHE
#   d. a private WoW64 Wine prefix in $MSGSC_CACHE/wine
#   e. configure + build the host preset, run build/host/src/demo/msgsc-demo, then scripts/demo.sh
# Logs of the noisy steps go to $MSGSC_CACHE/logs/.  Needs root (or sudo) only to install packages.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

DEPS_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --deps-only) DEPS_ONLY=1 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

LOGDIR="$MSGSC_CACHE/logs"
mkdir -p "$LOGDIR"
CLEANUP=()
trap 'rm -rf "${CLEANUP[@]}"' EXIT
T0=$SECONDS
say() { printf '[setup %3ds] %s\n' "$((SECONDS - T0))" "$*"; }
die() { printf '[setup %3ds] ERROR: %s\n' "$((SECONDS - T0))" "$*" >&2; exit 1; }
# run_logged <log> <cmd...>: run quietly into a log; on failure show its tail and the log's path.
run_logged() {
  local log="$1"; shift
  if ! "$@" >"$log" 2>&1 </dev/null; then
    tail -n 25 "$log" >&2
    printf '[setup] command failed: %s\n[setup] full log: %s\n' "$*" "$log" >&2
    return 1
  fi
}

# ---------------------------------------------------------------- apt helpers
as_root() {
  if [ "$(id -u)" -eq 0 ]; then env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
  elif command -v sudo >/dev/null; then sudo DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
  else die "need root (or sudo) to run: $*"; fi
}
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 -o APT::Color=0)

is_installed() {  # is_installed <pkg[:arch]>
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# apt-get update.  A failing index (seen: bookworm-security's i386 Packages.xz "unexpected size",
# a mirror sync problem) makes it exit non-zero although everything else was fetched, so only warn.
UPDATED=0
apt_update() {
  [ "$UPDATED" -eq 1 ] && return 0
  say "apt-get update"
  if ! as_root apt-get "${APT_OPTS[@]}" update >"$LOGDIR/apt-update.log" 2>&1 </dev/null; then
    say "warning: apt-get update reported errors (continuing; see $LOGDIR/apt-update.log):"
    grep -E '^(E|W):' "$LOGDIR/apt-update.log" | head -n 5 | sed 's/^/           /' || true
  fi
  UPDATED=1
}

# ---------------------------------------------------------------- a. packages
# kamailio and sip-tester (SIPp): the real SIP peers of tests/sip; python3 runs its mock peer;
# iproute2 gives ss, which the tests and the demo use to wait for ports.
PACKAGES=(mingw-w64 mingw-w64-tools wine wine64 wine64-tools libwine-dev libcmocka-dev cmake
          ninja-build clang libclang-rt-14-dev valgrind dpkg-dev gcc
          kamailio sip-tester python3 iproute2)
missing=()
for p in "${PACKAGES[@]}"; do is_installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  say "packages: all ${#PACKAGES[@]} installed"
else
  say "packages: installing ${missing[*]}"
  apt_update
  run_logged "$LOGDIR/apt-packages.log" \
    as_root apt-get "${APT_OPTS[@]}" install --no-install-recommends "${missing[@]}" \
    || die "could not install ${missing[*]}"
  say "packages: done"
fi

# ---------------------------------------------------------------- b. i386 + wine32
# wine32:i386 is Multi-Arch: same with many libraries, so their amd64 and i386 versions must match.
# When the mirror's security suite has no usable i386 index, amd64 libraries installed from
# -security have no i386 twin and a plain install fails (or wants to remove wine64).  Workaround
# (docs/toolchain.md §5): resolve against the sources without the security suite, and pin every
# amd64 library whose installed version only exists in -security to the newest version that the
# remaining sources have (a small downgrade).  The pins are derived from apt's own complaints.
WINE32_KEEP=(wine32:i386 wine64 wine64-tools libwine-dev)
NATIVE_ARCH=$(dpkg --print-architecture)

# wine32_resolve <label> <rounds> <apt option...>: simulate; if apt refuses or would remove
# something, derive keeps/pins from its output and retry (up to <rounds> simulations); then
# install for real.
wine32_resolve() {
  local label="$1" rounds="$2"; shift 2
  local -a opts=("$@") want=("${WINE32_KEEP[@]}") pins=()
  local i out rc names n bare inst best added
  for ((i = 1; i <= rounds; i++)); do
    rc=0
    out=$(as_root apt-get "${opts[@]}" "${APT_OPTS[@]}" -s install --no-install-recommends \
            --allow-downgrades "${want[@]}" "${pins[@]}" 2>&1 </dev/null) || rc=$?
    printf '%s\n' "$out" >"$LOGDIR/apt-wine32-$label-sim$i.log"
    if [ "$rc" -eq 0 ] && ! grep -q '^Remv ' <<<"$out"; then
      [ ${#pins[@]} -gt 0 ] && say "wine32 ($label): downgrading to match i386: ${pins[*]}"
      run_logged "$LOGDIR/apt-wine32-$label.log" \
        as_root apt-get "${opts[@]}" "${APT_OPTS[@]}" install --no-install-recommends \
        --allow-downgrades "${want[@]}" "${pins[@]}"
      return
    fi
    [ "$i" -lt "$rounds" ] || break
    # Packages apt would remove, and dependencies it "is not going to install".
    names=$( { grep '^Remv ' <<<"$out" | awk '{print $2}'
               grep -oE 'Depends: [^ ]+ .*but it is not (going to be installed|installable)' <<<"$out" \
                 | awk '{print $2}'; } | sed 's/:.*//' | sort -u)
    added=0
    for bare in $names; do
      inst=$(dpkg-query -W -f='${Version}' "$bare:$NATIVE_ARCH" 2>/dev/null \
             || dpkg-query -W -f='${Version}' "$bare" 2>/dev/null || true)
      [ -n "$inst" ] || continue
      case " ${want[*]} ${pins[*]} " in *" $bare "*|*" $bare="*|*" $bare:$NATIVE_ARCH="*) continue ;; esac
      # Versions of it that these sources offer, best first.
      n=$(apt-cache "${opts[@]}" madison "$bare:$NATIVE_ARCH" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}')
      if grep -qxF -- "$inst" <<<"$n"; then
        want+=("$bare")            # installed version still available: just keep it
      else
        best=$(head -n 1 <<<"$n")
        [ -n "$best" ] || continue
        pins+=("$bare:$NATIVE_ARCH=$best")
      fi
      added=1
    done
    if [ "$added" -eq 0 ]; then
      printf '%s\n' "$out" | grep -E '^(E:| )' | head -n 20 >&2 || true
      say "wine32 ($label): apt cannot resolve it (log: $LOGDIR/apt-wine32-$label-sim$i.log)"
      return 1
    fi
  done
  say "wine32 ($label): not installable this way (log: $LOGDIR/apt-wine32-$label-sim$i.log)"
  return 1
}

if is_installed wine32:i386; then
  say "wine32:i386: installed"
else
  if ! grep -qx i386 <<<"$(dpkg --print-foreign-architectures)"; then
    say "adding the i386 architecture"
    as_root dpkg --add-architecture i386
    UPDATED=0
  fi
  if [ "$UPDATED" -eq 0 ] && ! grep -q 'Candidate: [0-9]' <<<"$(apt-cache policy wine32:i386 2>/dev/null)"; then
    apt_update
  fi
  say "wine32:i386: installing"
  if wine32_resolve plain 1; then
    :
  else
    # Same sources minus the security suite, in a private sources dir (the system's stay untouched).
    say "wine32:i386: plain install impossible; retrying without the security suite (toolchain.md §5)"
    srcdir=$(mktemp -d)
    CLEANUP+=("$srcdir")
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      grep -vE '^[[:space:]]*deb(-src)?[[:space:]].*(-security|/updates)([[:space:]]|$)' "$f" \
        >"$srcdir/$(basename "$f")" || true
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk 'BEGIN { RS = ""; ORS = "\n\n" } !/-security/' "$f" >"$srcdir/$(basename "$f")"
    done
    [ -f "$srcdir/sources.list" ] && mv "$srcdir/sources.list" "$srcdir/00-sources.list"
    WA=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$srcdir" -o APT::Get::List-Cleanup=false)
    run_logged "$LOGDIR/apt-update-nosecurity.log" as_root apt-get "${WA[@]}" "${APT_OPTS[@]}" update \
      || say "warning: apt-get update without the security suite reported errors"
    wine32_resolve nosecurity 8 "${WA[@]}" || die "could not install wine32:i386 (logs in $LOGDIR)"
  fi
  is_installed wine32:i386 || die "wine32:i386 still not installed"
  say "wine32:i386: done"
fi

# ---------------------------------------------------------------- c. cmocka for mingw
cmocka_ok() { [ -f "$MSGSC_CACHE/cmocka-$1/include/cmocka.h" ] && [ -f "$MSGSC_CACHE/cmocka-$1/lib/libcmocka-static.a" ]; }
need_cmocka=()
for arch in x86_64 i686; do cmocka_ok "$arch" || need_cmocka+=("$arch"); done
if [ ${#need_cmocka[@]} -eq 0 ]; then
  say "cmocka for mingw: installed in $MSGSC_CACHE/cmocka-{x86_64,i686}"
else
  say "cmocka for mingw: building for ${need_cmocka[*]}"
  # A deb-src entry for the release's main suite, on the mirror the system already uses.
  if ! grep -qx deb-src <<<"$(apt-get indextargets --format '$(TARGET_OF)' 2>/dev/null)"; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    mirror=$(apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(SITE)' 2>/dev/null \
             | awk -v c="$codename" '$1 == "deb" && $2 == c { print $3; exit }')
    [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
    say "adding deb-src $mirror $codename main (/etc/apt/sources.list.d/msgsc-debian-src.sources)"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    {
      printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n' "$mirror" "$codename"
      if [ -f "$keyring" ]; then printf 'Signed-By: %s\n' "$keyring"; fi
    } | as_root tee /etc/apt/sources.list.d/msgsc-debian-src.sources >/dev/null
    UPDATED=0
  fi
  if ! grep -q '^Package: cmocka' <<<"$(apt-cache showsrc cmocka 2>/dev/null)"; then
    UPDATED=0
    apt_update
  fi
  work=$(mktemp -d)
  CLEANUP+=("$work")
  ( cd "$work" && run_logged "$LOGDIR/cmocka-source.log" apt-get -q source --download-only cmocka ) \
    || die "apt-get source cmocka failed"
  dsc=$(ls "$work"/cmocka_*.dsc | head -n 1)
  run_logged "$LOGDIR/cmocka-source.log" dpkg-source --no-check -x "$dsc" "$work/src" \
    || die "dpkg-source -x $dsc failed"
  say "cmocka for mingw: source $(basename "$dsc" .dsc)"
  for arch in "${need_cmocka[@]}"; do
    tc="$ROOT/cmake/mingw-w64-$arch.cmake"
    if [ ! -f "$tc" ]; then
      tc="$work/mingw-w64-$arch.cmake"
      cat >"$tc" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR $arch)
set(CMAKE_C_COMPILER $arch-w64-mingw32-gcc)
set(CMAKE_RC_COMPILER $arch-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/$arch-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
EOF
    fi
    dest="$MSGSC_CACHE/cmocka-$arch"
    rm -rf "$dest" "$dest.tmp"
    log="$LOGDIR/cmocka-$arch.log"
    run_logged "$log" cmake -S "$work/src" -B "$work/build-$arch" -G Ninja \
        -DCMAKE_TOOLCHAIN_FILE="$tc" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$dest.tmp" \
        -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF \
      && run_logged "$log.build" cmake --build "$work/build-$arch" \
      && run_logged "$log.install" cmake --install "$work/build-$arch" \
      || die "cmocka build for $arch failed"
    mv "$dest.tmp" "$dest"
    cmocka_ok "$arch" || die "cmocka for $arch: $dest lacks include/cmocka.h or lib/libcmocka-static.a"
    say "cmocka for mingw: $arch installed in $dest"
  done
  rm -rf "$work"
fi

# ---------------------------------------------------------------- d. Wine prefix
# A WoW64 prefix (needs wine32) with Graphics=null so that no explorer.exe /desktop is started.
# A marker file says it was completed; a half-made prefix of ours is thrown away and rebuilt.
MARKER="$WINEPREFIX/.msgsc-prefix-ok"
if [ -f "$MARKER" ]; then
  say "wine prefix: ready ($WINEPREFIX)"
else
  say "wine prefix: creating $WINEPREFIX (about 15 s)"
  if [ -e "$WINEPREFIX" ] && [ "$WINEPREFIX" = "$MSGSC_CACHE/wine" ]; then
    "$MSGSC_WINESERVER" -k >/dev/null 2>&1 </dev/null || true
    rm -rf "$WINEPREFIX"
  fi
  mkdir -p "$(dirname "$WINEPREFIX")"
  log="$LOGDIR/wineboot.log"
  run_logged "$log" "$MSGSC_WINE" wineboot -i || die "wineboot -i failed"
  run_logged "$log.reg" "$MSGSC_WINE" reg add 'HKCU\Software\Wine\Drivers' /v Graphics /d null /f \
    || die "could not set Graphics=null in the prefix"
  run_logged "$log.wait" "$MSGSC_WINESERVER" -w || true
  [ -d "$WINEPREFIX/drive_c/windows/syswow64" ] \
    || die "prefix $WINEPREFIX has no syswow64: is wine32:i386 installed?"
  grep -q '"Graphics"="null"' "$WINEPREFIX/user.reg" || die "Graphics=null missing from $WINEPREFIX/user.reg"
  touch "$MARKER"
  say "wine prefix: done"
fi

if [ "$DEPS_ONLY" -eq 1 ]; then
  say "dependencies ready"
  exit 0
fi

# ---------------------------------------------------------------- e. build + demo
cd "$ROOT"
say "configure + build: host preset (log: build/logs/setup-host.log)"
mkdir -p build/logs
run_logged build/logs/setup-host.log cmake --preset host || die "configure (cmake --preset host) failed"
run_logged build/logs/setup-host-build.log cmake --build --preset host || die "build (cmake --build --preset host) failed"
DEMO=build/host/src/demo/msgsc-demo
if [ ! -x "$DEMO" ]; then
  die "the demo $DEMO was not built (the build has no msgsc-demo target yet?)"
fi
say "running $DEMO"
echo
"$DEMO"
echo
say "running scripts/demo.sh: the same API from VBScript and JScript, under Wine"
"$ROOT/scripts/demo.sh"
