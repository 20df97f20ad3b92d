// start_agent.js: start the user's agent the way any application does (its first manager), then
// leave it running (launch.sh, demo.sh).
new ActiveXObject("MessengerPrivate.MsgrSessionManager");
WScript.Echo("start_agent.js: the agent runs");
