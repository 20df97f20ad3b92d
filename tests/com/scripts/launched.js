// launched.js: the application bob's agent starts for an invitation nobody running took
// (launch.sh, docs/agent.md).  It does what a legacy invitee application does when Messenger
// launched it: GetLaunchingSession(its own process ID), connect the session's events, read who
// invites for what, and talk through context data.  Its stdout goes nowhere (the agent started
// it), so it reports to the peer: one context data string "launched.js: N checks, fails=F ...".
// Launched as the inviter ("AgentMain invite", Messenger's own menu), it does the inviter's part:
// the session is on its way, and once alice accepts it reports, then ends the session when she
// answers "done".
var ME = "launched.js";
var sh = new ActiveXObject("WScript.Shell");
function env(n) { var v = sh.ExpandEnvironmentStrings("%" + n + "%").replace(/\0.*$/, ""); return v === "%" + n + "%" ? "" : v; }
var APP = env("MSGSC_TEST_APP");
var PEER = env("MSGSC_TEST_PEER");
var APP_NAME = env("MSGSC_TEST_APP_NAME") || "Launch Test";    // its registered Name
function hr(x) { return x | 0; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var E_FAIL = hr(0x80004005), SR_NOT_INVITEE = hr(0x8100060B), SF_INVITER = 1, SF_INVITEE = 2;
var SS_INVITATION = 2, SS_ACCEPTED = 3, SS_CONNECTED = 4;

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
var inviter = (s.Flags & SF_INVITER) === SF_INVITER;
report(s.Flags === (inviter ? SF_INVITER : SF_INVITEE), "Flags = " + s.Flags);
if (inviter) report(s.State >= SS_INVITATION && s.State <= SS_CONNECTED, "State = " + s.State);
else report(s.State === SS_ACCEPTED || s.State === SS_CONNECTED, "State = " + s.State);
report(s.Application === APP, "Application = " + s.Application);
report(s.User.SigninName.toLowerCase() === PEER.toLowerCase(), "User = " + s.User.SigninName);
report(s.ApplicationName === APP_NAME, "ApplicationName = " + s.ApplicationName);
if (inviter) {
    try {
        s.Accept("");
        report(false, "Accept as the inviter succeeded");
    } catch (e) {
        report(hr(e.number) === SR_NOT_INVITEE, "Accept as the inviter -> " + hex(e.number));
    }
} else {
    s.Accept("");    // the user said yes already: Accept confirms, changes nothing
    report(true, "Accept");
}
// a second manager of this process gets the same session
report(WScript.CreateObject("MessengerPrivate.MsgrSessionManager").GetLaunchingSession(WScript.ProcessId).SessionID === s.SessionID,
       "the same session from a second manager");

// the report goes once OnReadyToLaunch came and the session is accepted (the inviter waits for it)
var ready = false, accepted = !inviter, reported = false;
function sendReport() {
    if (reported || !ready || !accepted) return;
    reported = true;
    s.SendContextData(ME + ": " + checks + " checks, fails=" + fails + (notes.length ? " " + notes.join("; ") : ""));
}
function S_OnReadyToLaunch() { ready = true; sendReport(); }
function S_OnAccepted(data) {
    report(inviter && data === "ok", "OnAccepted(" + data + ")");
    accepted = true;
    sendReport();
}
function S_OnContextData(data) { if (inviter && data === "done") s.Cancel(hr(0x81000606), "bye"); }
function S_OnTermination(code, data) { WScript.Quit(0); }
