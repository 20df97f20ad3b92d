// agent_watch.js: an application of bob's while his agent dies (launch.sh, docs/agent.md).
// It invites someone who never answers; launch.sh kills bob's agent once it says "inviting".
// The invitation ends with OnTermination(SR_CONNECTION_FAILURE), msgsc starts a new agent, and
// an invitation after that (to carol, who takes none) gets its answer through the new agent.
// Then launch.sh stops that agent on purpose: the manager hears OnAppShutdown.
var ME = "agent_watch.js";
var sh = new ActiveXObject("WScript.Shell");
function env(n) { var v = sh.ExpandEnvironmentStrings("%" + n + "%").replace(/\0.*$/, ""); return v === "%" + n + "%" ? "" : v; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var checks = 0, fails = 0;
function checkEq(got, want, what) {
    checks++;
    if (got !== want) fails++;
    WScript.Echo((got === want ? "ok " : "not ok ") + checks + " - " + ME + ": " + what + " = " + got);
}

var m = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
var first = m.CreateSession(), second = null;
WScript.ConnectObject(first, "A_");
first.Application = env("MSGSC_TEST_APP");
first.Invite({ SigninName: env("MSGSC_TEST_GHOST") }, "anyone there?");
WScript.Echo(ME + ": inviting");
function A_OnTermination(code, data) {
    checkEq(hex(code), "81000603", "the invitation in flight when the agent died ends");
    second = m.CreateSession();
    WScript.ConnectObject(second, "B_");
    second.Application = env("MSGSC_TEST_APP");
    second.Invite({ SigninName: env("MSGSC_TEST_CAROL") }, "after");   // through a new agent
}
function B_OnTermination(code, data) {
    checkEq(hex(code), "81000602", "an invitation through the restarted agent is answered");
    WScript.Echo(ME + ": waiting for the agent to stop");
}
function M_OnAppShutdown() {
    checkEq(second !== null, true, "OnAppShutdown when the agent is stopped");
    WScript.Echo(ME + ": " + checks + " checks, fails=" + fails);
    WScript.Quit(0);
}
