// prompt_inviter.js: alice's side of the prompt tests (prompt.sh, docs/agent.md): one invitation to
// bob's registered application, which does not run; bob's agent (Prompt=ask) shows its Yes/No box,
// and press_prompt.exe answers it as bob would.  MSGSC_TEST_PHASE says which:
//   yes:    bob presses Yes: his agent launches the application (launched.js), which takes the
//           session with GetLaunchingSession; alice hears OnAccepted, then its report through
//           context data, and ends the session
//   no:     bob presses No: alice hears OnDeclined, then OnTermination(SR_INVITATION_DECLINED)
//   cancel: alice withdraws while the box is up (press_prompt creates the file MSGSC_TEST_SHOWN
//           when it sees it): her session ends cancelled, and bob's box goes away by itself
// Checks print "ok N - ..." / "not ok N - ..."; the last line is "prompt_inviter.js: N checks, fails=F".
var ME = "prompt_inviter.js";
var sh = new ActiveXObject("WScript.Shell");
function env(n) { var v = sh.ExpandEnvironmentStrings("%" + n + "%").replace(/\0.*$/, ""); return v === "%" + n + "%" ? "" : v; }
var BOB = env("MSGSC_TEST_PEER");
var APP = env("MSGSC_TEST_APP");                      // registered at bob's with launched.js as its Path
var PHASE = env("MSGSC_TEST_PHASE");
var SHOWN = env("MSGSC_TEST_SHOWN");
function hr(x) { return x | 0; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var SR_SESSION_CANCELLED_LOCAL = hr(0x81000606);

var checks = 0, fails = 0, log = [];
function report(cond, what) {
    checks++;
    WScript.Echo((cond ? "ok " : "not ok ") + checks + " - " + ME + ": " + what);
    if (!cond) fails++;
}
function checkEq(got, want, what) { report(got === want, what + " = " + got + (got === want ? "" : ", want " + want)); }
function finish() {
    WScript.Echo(ME + ": " + checks + " checks, fails=" + fails);
    WScript.Quit(0);
}

// the codes as include/msgsc/status.h has them: SR_INVITATION_DECLINED 0x81000602,
// SR_SESSION_CANCELLED_LOCAL 0x81000606
var EXPECTED = {
    yes: "OnStateChanged(1) OnStateChanged(2) OnAccepted() OnStateChanged(3) OnContextData(report) " +
         "OnStateChanged(4) OnTermination(81000606)",
    no: "OnStateChanged(1) OnStateChanged(2) OnDeclined() OnTermination(81000602)",
    cancel: "OnStateChanged(1) OnStateChanged(2) OnTermination(81000606)"
};
if (!EXPECTED[PHASE]) {
    report(false, "MSGSC_TEST_PHASE is '" + PHASE + "', want yes, no or cancel");
    finish();
}

var m = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
var s = m.CreateSession();
WScript.ConnectObject(s, "S_");
var ended = false;

function S_OnStateChanged(prev) { log.push("OnStateChanged(" + prev + ")"); }
function S_OnAccepted(data) { log.push("OnAccepted(" + data + ")"); }
function S_OnDeclined(data) { log.push("OnDeclined(" + data + ")"); }
function S_OnAppNotPresent(name, url) { log.push("OnAppNotPresent(" + name + ", " + url + ")"); }
function S_OnContextData(data) {
    log.push("OnContextData(report)");
    WScript.Echo(ME + ": bob's application says: " + data);
    report(/^launched\.js: [0-9]+ checks, fails=0$/.test(data), "bob's application's checks passed");
    s.Cancel(SR_SESSION_CANCELLED_LOCAL, "done");     // alice ends the session
}
function S_OnTermination(code, data) {
    log.push("OnTermination(" + hex(code) + ")");
    ended = true;
    checkEq(log.join(" "), EXPECTED[PHASE], PHASE);
    WScript.DisconnectObject(s);
    finish();
}

s.Application = APP;
WScript.Echo(ME + ": phase " + PHASE + ": inviting " + BOB);
s.Invite({ SigninName: BOB }, PHASE);
if (PHASE === "cancel") {
    // wait (pumping events) until bob's box is up, then withdraw
    var fso = new ActiveXObject("Scripting.FileSystemObject"), i;
    for (i = 0; i < 300 && !ended && !fso.FileExists(SHOWN); i++) WScript.Sleep(100);
    report(fso.FileExists(SHOWN), "bob's prompt is up (" + SHOWN + ")");
    checkEq(s.State, 2, "State while bob is asked");    // SS_INVITATION: not answered yet
    WScript.Echo(ME + ": withdrawing");
    s.Cancel(SR_SESSION_CANCELLED_LOCAL, "withdrawn");
}
