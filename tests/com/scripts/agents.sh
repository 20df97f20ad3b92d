# shellcheck shell=bash
# agents.sh: shell helpers of the agent tests (launch.sh, prompt.sh, ../localserver_agent.sh), sourced after they set
#   WINE (the emulator), HOST (msgsc-scripthost.exe), DIR (this directory) and, for "stop",
#   DLLW (the Windows path of msgsc.dll).
# winpath FILE: its Windows path (Z:\...).
winpath() { "$WINE" winepath -w "$1" 2>/dev/null | tr -d '\r'; }
# agent ID PORT [VAR=VALUE...] start|stop: start the user's agent as an application starts it
# (start_agent.js, with the settings given), or ask it to stop (AgentMain stop).  ID and PORT are
# its MSGSC_IDENTITY and MSGSC_LISTEN port: the agent is found by them.
agent() {
  local id=$1 port=$2; shift 2
  local what=${*: -1}; set -- "${@:1:$#-1}"
  if [ "$what" = start ]; then
    env MSGSC_IDENTITY="$id" MSGSC_LISTEN="127.0.0.1:$port" "$@" "$WINE" "$HOST" "$DIR/start_agent.js"
  else
    env MSGSC_IDENTITY="$id" MSGSC_LISTEN="127.0.0.1:$port" "$WINE" rundll32.exe "$DLLW",AgentMain stop
  fi
}
