// invitee.js: bob's side of the event tests (docs/design.md §2-§3), in JScript.  It runs in
// msgsc-scripthost after an inviter script (inviter.vbs or inviter.js), in one thread, over msgsc's
// loopback transport:
//     msgsc-scripthost --env MSGSC_IDENTITY=alice@example.org inviter.vbs \
//                      --env MSGSC_IDENTITY=bob@example.org invitee.js
// The invitation data starts with the phase name (see inviter.js): accept, decline, cancel or
// timeout.  cancel and timeout are last; then alice, done, sends "done: ...".  Once bob has both
// (in either order), he unregisters alice's application (so the machine is as it was), checks
// his totals and ends the run with WScript.Quit(0).
//
// Bob has two managers, as two applications of one user would.  An invitation is offered to each
// in turn until one sets pfHandled.  JScript cannot write through a by-reference argument, so no
// handler here can set it: every invitation reaches both managers, with the same session.  Nobody
// having taken it changes nothing in msgsc: the session waits in SS_INVITATION until it is answered
// or times out, and bob keeps it (a global variable) and answers it.
// Checks print "ok N - ..." / "not ok N - ..."; the last line is "invitee.js: N checks, fails=F".

var ME = "invitee.js";
var APP = "{6D5C0B01-7E57-4A11-9C0D-00000000E0E1}";       // the inviter registers it
var BOB_APP = "{6D5C0B01-7E57-4A11-9C0D-00000000E0E2}";   // bob's own, for the app events
// two_processes.sh runs alice in a process of her own, at MSGSC_TEST_PEER.
var PEER = new ActiveXObject("WScript.Shell").ExpandEnvironmentStrings("%MSGSC_TEST_PEER%").replace(/\0.*$/, "");
var ALICE = PEER !== "%MSGSC_TEST_PEER%" && PEER !== "" ? PEER : "alice@example.org";

function hr(x) { return x | 0; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var SR_NOT_INVITER = hr(0x8100060C), SR_SESSION_STATE_INVALID = hr(0x81000614),
    SR_CONTEXT_DATA_OVER_LIMIT = hr(0x81000611);
var SS_INVITATION = 2, SS_CONNECTED = 4, SF_INVITEE = 2;

// What bob's session sees in each phase, in order (docs/design.md §2, "Every edge").  Bob
// connects to the session inside OnInvitation, so his log starts with his answer.
var EXPECTED = {
    accept: "OnStateChanged(2)->3 OnStateChanged(3)->4 OnContextData(alice-ctx-1) OnContextData(alice-ctx-2) " +
            "OnContextData(alice-ctx-3) OnContextData(alice-ctx-4) OnContextData(alice-ctx-5) " +
            "OnStateChanged(4)->7 OnTermination(81000607, bye)",
    decline: "OnStateChanged(2)->6 OnTermination(81000602, busy)",
    // Cancel's hr travels: a failure code reaches the invitee's OnTermination.
    cancel: "OnStateChanged(2)->5 OnCancelled(could not start) OnTermination(81000601, could not start)",
    timeout: "OnStateChanged(2)->7 OnTermination(81000609, )"
};

var checks = 0, fails = 0;
function say(text) { WScript.Echo(ME + ": " + text); }
function report(cond, what) {
    checks++;
    if (cond) {
        WScript.Echo("ok " + checks + " - " + ME + ": " + what);
    } else {
        fails++;
        WScript.Echo("not ok " + checks + " - " + ME + ": " + what);
    }
}
function checkEq(got, want, what) {
    report(got === want, what + " = " + got + (got === want ? "" : ", want " + want));
}
function checkErr(f, want, what) {
    try {
        f();
    } catch (e) {
        report(e.number === want && !!e.description, what + " -> " + hex(e.number) + " (" + e.description + ")" +
               (e.number === want ? "" : ", want " + hex(want)));
        return;
    }
    report(false, what + ": no error, want " + hex(want));
}
function checkOk(f, what) {
    try {
        f();
    } catch (e) {
        report(false, what + ": failed with " + hex(e.number) + " [" + e.description + "]");
        return;
    }
    report(true, what);
}

var session = null, sessionId = "", phase = "", log = [], offers = 0, managerLog = [], lockEnables = 0;
var aliceDone = false, lastEnded = false;

function logEvent(text) {
    say("[" + phase + "] " + text);
    if (!session) report(false, "an event with no session in progress: " + text);
    log.push(text);
}

// ---- the managers ------------------------------------------------------------------------------
var mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
var mgr2 = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "N_");

function M_OnLockEnable(enabled) {
    lockEnables++;
    say("OnLockEnable(" + enabled + ") on manager M");
    checkEq(typeof enabled + " " + enabled, "boolean true", "OnLockEnable's argument");
}
function N_OnLockEnable(enabled) {
    lockEnables++;
    say("OnLockEnable(" + enabled + ") on manager N");
}
function M_OnAppRegistered(guid) { managerLog.push("M.OnAppRegistered(" + guid + ")"); }
function N_OnAppRegistered(guid) { managerLog.push("N.OnAppRegistered(" + guid + ")"); }
function M_OnAppUnRegistered(guid) { managerLog.push("M.OnAppUnRegistered(" + guid + ")"); }
function N_OnAppUnRegistered(guid) { managerLog.push("N.OnAppUnRegistered(" + guid + ")"); }
function M_OnInvitation(s, data, handled) { invitation("M", s, data, handled); }
function N_OnInvitation(s, data, handled) { invitation("N", s, data, handled); }

try { mgr.UnRegisterApplication(BOB_APP); } catch (e) { }     // left over from an interrupted run
managerLog = [];
checkOk(function () { mgr.RegisterApplication(BOB_APP, "Bob's app", "", "C:\\bob.exe", 0); },
        "RegisterApplication(bob's app)");
checkOk(function () { mgr2.UnRegisterApplication(BOB_APP); }, "UnRegisterApplication(bob's app) through the other manager");
// Both of bob's managers heard both, during the calls (newest manager first).
checkEq(managerLog.join(" "), "N.OnAppRegistered(" + BOB_APP + ") M.OnAppRegistered(" + BOB_APP + ") " +
        "N.OnAppUnRegistered(" + BOB_APP + ") M.OnAppUnRegistered(" + BOB_APP + ")", "bob's manager events");
managerLog = [];

// ---- an invitation ----------------------------------------------------------------------------
function invitation(which, s, data, handled) {
    if (data.indexOf("done:") === 0) {
        // Offered to both managers as well: act once.
        if (!aliceDone) say("alice is done (\"" + data + "\")");
        aliceDone = true;
        if (lastEnded) finish();
        return;
    }
    checkEq(handled, false, "[" + data.split(":")[0] + "] pfHandled comes in false (manager " + which + ")");
    if (session && s.SessionID === sessionId) {
        // Nobody set pfHandled, so the next manager is offered the same invitation.
        offers++;
        say("[" + phase + "] OnInvitation on manager " + which + " too (the same session)");
        return;
    }
    if (session) report(false, "[" + phase + "] an invitation while another is in progress");
    offers = 1;
    phase = data.split(":")[0];
    say("[" + phase + "] OnInvitation on manager " + which + ": \"" + data + "\" from " + s.User.SigninName);
    // Each manager's OnLockEnable was posted when bob connected, before alice invited: it comes first.
    report(lockEnables == 2, "[" + phase + "] both OnLockEnable came before OnInvitation");
    session = s;                 // kept: nobody "handled" it, bob answers it all the same
    sessionId = s.SessionID;
    log = [];
    WScript.ConnectObject(session, "S_");
    checkEq(session.State, SS_INVITATION, "[" + phase + "] State");
    checkEq(session.Flags, SF_INVITEE, "[" + phase + "] Flags");
    checkEq(session.Application, APP, "[" + phase + "] Application");
    checkEq(session.ApplicationName, "Chess (event test)", "[" + phase + "] ApplicationName");
    checkEq(session.ContextData, data, "[" + phase + "] ContextData (the invitation's data)");
    checkEq(session.RemoteAddress, "10.0.0.1", "[" + phase + "] RemoteAddress (alice's LocalAddress)");
    checkEq(session.User.SigninName, ALICE, "[" + phase + "] User.SigninName");
    checkEq(session.User.IsSelf, false, "[" + phase + "] User.IsSelf");
    checkEq(sessionId.length, 38, "[" + phase + "] SessionID length");

    if (phase === "accept") {
        checkErr(function () { session.Cancel(0, "no"); }, SR_NOT_INVITER, "[accept] Cancel by the invitee (it must Decline)");
        checkErr(function () { session.SendContextData("early"); }, SR_SESSION_STATE_INVALID,
                 "[accept] SendContextData in SS_INVITATION");
        checkErr(function () { session.Accept(new Array(514).join("w")); }, SR_CONTEXT_DATA_OVER_LIMIT,
                 "[accept] Accept with 513 bytes");
        checkOk(function () { session.LocalAddress = "10.0.0.2"; }, "[accept] LocalAddress = \"10.0.0.2\" before Accept");
        say("[accept] accepting with \"welcome\"");
        checkOk(function () { session.Accept("welcome"); }, "[accept] Accept(\"welcome\")");
        // While an event is delivered, State reads as of the change that event reports (design.md
        // §3): SS_INVITATION here; OnStateChanged(2) then reports the move to SS_ACCEPTED.
        checkEq(session.State, SS_INVITATION, "[accept] State after Accept, inside OnInvitation");
        checkErr(function () { session.Accept("again"); }, SR_SESSION_STATE_INVALID, "[accept] Accept again");
        checkErr(function () { session.Decline("no"); }, SR_SESSION_STATE_INVALID, "[accept] Decline after Accept");
    } else if (phase === "decline") {
        say("[decline] declining with \"busy\"");
        checkOk(function () { session.Decline("busy"); }, "[decline] Decline(\"busy\")");
    } else {
        say("[" + phase + "] letting it ring");
    }
}

// ---- the session's events ---------------------------------------------------------------------
function S_OnStateChanged(prev) {
    var now = session.State;
    logEvent("OnStateChanged(" + prev + ")->" + now);
    if (phase === "accept" && now === SS_CONNECTED)
        checkEq(session.RemoteAddress, "10.0.0.1", "[accept] RemoteAddress when connected");
}
function S_OnContextData(data) {
    logEvent("OnContextData(" + data + ")");
    checkEq(session.ContextData, data, "[" + phase + "] ContextData in OnContextData");
    if (data === "alice-ctx-1") session.SendContextData("bob-ctx");
}
function S_OnAccepted(data) { logEvent("OnAccepted(" + data + ")"); }
function S_OnDeclined(data) { logEvent("OnDeclined(" + data + ")"); }
function S_OnCancelled(data) { logEvent("OnCancelled(" + data + ")"); }
function S_OnAppNotPresent(name, url) { logEvent("OnAppNotPresent(" + name + ", " + url + ")"); }
function S_OnReadyToLaunch() { logEvent("OnReadyToLaunch"); }
function S_OnSendError(h) { logEvent("OnSendError(" + hex(h) + ")"); }
function S_BeforeAppLaunch(enable) { logEvent("BeforeAppLaunch(" + enable + ")"); }
function S_OnTermination(h, data) {
    logEvent("OnTermination(" + hex(h) + ", " + data + ")");
    checkEq(typeof h, "number", "[" + phase + "] OnTermination's hr is a number");
    checkEq(log.join(" "), EXPECTED[phase], "[" + phase + "] bob's events");
    checkEq(offers, 2, "[" + phase + "] the invitation was offered to both managers");
    WScript.DisconnectObject(session);
    session = null;
    if (phase === "cancel" || phase === "timeout") {
        lastEnded = true;
        if (aliceDone) finish();
    }
}

function finish() {
    // alice's application events were not bob's.
    checkEq(managerLog.join(" "), "", "bob's manager events during the run");
    checkOk(function () { mgr.UnRegisterApplication(APP); }, "UnRegisterApplication(alice's app)");
    checkEq(managerLog.join(" "), "N.OnAppUnRegistered(" + APP + ") M.OnAppUnRegistered(" + APP + ")",
            "bob's manager events after that");
    checkEq(lockEnables, 2, "OnLockEnable(true) once per manager");
    say(checks + " checks, fails=" + fails);
    WScript.Quit(0);
}
