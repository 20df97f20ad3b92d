// launched.js: the application bob's agent starts for an invitation nobody running took
// (launch.sh, docs/agent.md).  It does what a legacy invitee application does when Messenger
// launched it: GetLaunchingSession(its own process ID), connect the session's events, read who
// invites for what, and talk through context data.  Its stdout goes nowhere (the agent started
// it), so it reports to the inviter: one context data string "launched.js: N checks, fails=F ...".
var ME = "launched.js";
var sh = new ActiveXObject("WScript.Shell");
function env(n) { var v = sh.ExpandEnvironmentStrings("%" + n + "%").replace(/\0.*$/, ""); return v === "%" + n + "%" ? "" : v; }
var APP = env("MSGSC_TEST_APP");
var PEER = env("MSGSC_TEST_PEER");
function hr(x) { return x | 0; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var E_FAIL = hr(0x80004005), SF_INVITEE = 2, SS_ACCEPTED = 3, SS_CONNECTED = 4;

var checks = 0, fails = 0, notes = [];
function report(cond, what) {
    checks++;
    if (!cond) { fails++; notes.push(what); }
}

var m = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
// someone else's process ID: not ours to take
try {
    m.GetLaunchingSession(WScript.ProcessId + 1);
    report(false, "GetLaunchingSession(another pid) succeeded");
} catch (e) {
    report(hr(e.number) === E_FAIL && e.description !== "", "GetLaunchingSession(another pid) -> " + hex(e.number));
}
var s = m.GetLaunchingSession(WScript.ProcessId);
// the invitation's data is the session's first ContextData: "die" asks this process to hang
// until the host's watchdog kills it, as a crashed application would end
if (s.ContextData === "die") for (;;) {}
WScript.ConnectObject(s, "S_");
report((s.Flags & SF_INVITEE) === SF_INVITEE, "Flags = " + s.Flags);
report(s.State === SS_ACCEPTED || s.State === SS_CONNECTED, "State = " + s.State);
report(s.Application === APP, "Application = " + s.Application);
report(s.User.SigninName.toLowerCase() === PEER.toLowerCase(), "User = " + s.User.SigninName);
report(s.ApplicationName === "Launch Test", "ApplicationName = " + s.ApplicationName);
s.Accept("");        // the user said yes already: Accept confirms, changes nothing
report(true, "Accept");
// a second manager of this process gets the same session
report(WScript.CreateObject("MessengerPrivate.MsgrSessionManager").GetLaunchingSession(WScript.ProcessId).SessionID === s.SessionID,
       "the same session from a second manager");

var ready = false;
function S_OnReadyToLaunch() {
    if (ready) return;
    ready = true;
    s.SendContextData(ME + ": " + checks + " checks, fails=" + fails + (notes.length ? " " + notes.join("; ") : ""));
}
function S_OnTermination(code, data) { WScript.Quit(0); }
