# shellcheck shell=bash
# msgsc environment: source it (`source scripts/env.sh`) before running cmake presets, ctest or
# wine by hand.  scripts/setup.sh and scripts/test.sh source it too.  Safe to source twice;
# values already exported win, so e.g. `MSGSC_CACHE=/big/disk source scripts/env.sh` works.

# Where the dependencies that are not Debian packages live: cmocka cross-built for mingw
# (cmocka-x86_64, cmocka-i686) and the private WoW64 Wine prefix (wine).
export MSGSC_CACHE="${MSGSC_CACHE:-${HOME:-/root}/.cache/msgsc}"

# Wine: a private prefix (any WINEPREFIX you had is ignored on purpose; to use another one, e.g. so
# that two people on one machine do not share a wineserver, set MSGSC_WINEPREFIX and rerun
# scripts/setup.sh --deps-only), no debug chatter, no Mono/Gecko install prompts.
export MSGSC_WINEPREFIX="${MSGSC_WINEPREFIX:-$MSGSC_CACHE/wine}"
export WINEPREFIX="$MSGSC_WINEPREFIX"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"

# Once wine32 is installed Debian's /usr/bin/wine starts the 32-bit loader: 64-bit hosts such as
# cscript.exe must be started with the 64-bit loader (docs/toolchain.md §3, quirk 3).  There is no
# /usr/bin/wine64 on Debian.
export MSGSC_WINE="${MSGSC_WINE:-/usr/bin/wine}"
export MSGSC_WINE64="${MSGSC_WINE64:-/usr/lib/wine/wine64}"
export MSGSC_WINESERVER="${MSGSC_WINESERVER:-/usr/bin/wineserver}"
export MSGSC_WINEBOOT="${MSGSC_WINEBOOT:-/usr/bin/wineboot}"

# msgsc_wine_warm: start a persistent wineserver and the prefix's services with stdio on
# /dev/null.  Do this before ctest: if a test is the first to start them they inherit ctest's
# output pipe and ctest never finishes (toolchain.md §3, quirk 4).
msgsc_wine_warm() {
  # A server that is already running (e.g. started by a configure step) may not be persistent,
  # and "wineserver -p" cannot change that: stop it first.
  "$MSGSC_WINESERVER" -k </dev/null >/dev/null 2>&1 || true
  "$MSGSC_WINESERVER" -p </dev/null >/dev/null 2>&1 || true
  "$MSGSC_WINE" wineboot </dev/null >/dev/null 2>&1
}

# msgsc_wine_stop: kill this prefix's wineserver and every Wine process in it.
msgsc_wine_stop() {
  "$MSGSC_WINESERVER" -k </dev/null >/dev/null 2>&1 || true
}
