// inviter.js: alice's side of the event tests (docs/design.md §2-§3), in JScript.  It runs in
// msgsc-scripthost together with an invitee script (invitee.vbs or invitee.js), one thread, over
// msgsc's loopback transport:
//     msgsc-scripthost --env MSGSC_IDENTITY=alice@example.org inviter.js \
//                      --env MSGSC_IDENTITY=bob@example.org invitee.vbs
// MSGSC_TEST_PHASES (default "accept decline cancel") lists the invitations alice sends, one after
// the other; the invitation data starts with the phase name, which tells the invitee what to do:
//   accept   bob accepts; context data both ways (5 sends, the 6th is refused); alice hangs up
//   decline  bob declines
//   cancel   bob lets it ring; alice calls it off with Cancel(SR_APPLICATION_LAUNCH_FAILED, ...)
//   timeout  nobody answers: run with MSGSC_LIFETIME_MS=500; both sides time out
// When alice is done she prints her summary and sends one more invitation, "done: ...".  The
// invitee ends the run (WScript.Quit) once it has that and its own last session has ended: which
// side ends first is not fixed (in the timeout phase both timers fire in one tick).
//
// Each session's events are logged as "OnStateChanged(prev)->State ..." and compared, whole, with
// the sequence the design gives.  Checks print "ok N - ..." / "not ok N - ..."; the last line is
// "inviter.js: N checks, fails=F".

var ME = "inviter.js";
var APP = "{6D5C0B01-7E57-4A11-9C0D-00000000E0E1}";     // this test's own application
// two_processes.sh runs bob in a process of his own, at MSGSC_TEST_PEER.
var PEER = new ActiveXObject("WScript.Shell").ExpandEnvironmentStrings("%MSGSC_TEST_PEER%").replace(/\0.*$/, "");
var PEER_GIVEN = PEER !== "%MSGSC_TEST_PEER%" && PEER !== "";
var BOB = PEER_GIVEN ? PEER : "bob@example.org";

function hr(x) { return x | 0; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var SR_APPLICATION_LAUNCH_FAILED = hr(0x81000601), SR_CONTEXT_DATA_OVER_LIMIT = hr(0x81000611),
    SR_SESSION_STATE_INVALID = hr(0x81000614), SR_NOT_INVITEE = hr(0x8100060B),
    SR_SESSION_NOT_READY = hr(0x81000605);
var SS_READY = 1, SS_INVITATION = 2, SS_CONNECTED = 4, SF_INVITER = 1;

// What alice's session sees in each phase, in order (docs/design.md §2, "Every edge").
var EXPECTED = {
    accept: "OnStateChanged(1)->2 OnStateChanged(2)->3 OnAccepted(welcome) OnStateChanged(3)->4 " +
            "OnContextData(bob-ctx) OnStateChanged(4)->7 OnTermination(81000606, bye)",
    decline: "OnStateChanged(1)->2 OnStateChanged(2)->6 OnDeclined(busy) OnTermination(81000602, busy)",
    cancel: "OnStateChanged(1)->2 OnStateChanged(2)->5 OnTermination(81000606, could not start)",
    timeout: "OnStateChanged(1)->2 OnStateChanged(2)->7 OnTermination(81000609, )"
};
var TEXT = {
    accept: "accept: shall we play chess?",
    decline: "decline: shall we play again?",
    cancel: "cancel: one more game?",
    timeout: "timeout: anyone there?"
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
function checkThrows(f, what) {
    try {
        f();
    } catch (e) {
        report(true, what + " -> " + hex(e.number));
        return;
    }
    report(false, what + ": no error");
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

var env = new ActiveXObject("WScript.Shell").Environment("PROCESS");
var phases = (env("MSGSC_TEST_PHASES") || "accept decline cancel").split(" ");
var phase = -1;            // index into phases
var session = null;        // the current phase's session
var log = [];              // its events
var managerLog = [];       // the manager's events

function logEvent(text) {
    say("[" + (phase >= 0 ? phases[phase] : "-") + "] " + text);
    if (!session) report(false, "an event with no session in progress: " + text);
    log.push(text);
}

// ---- the manager --------------------------------------------------------------------------------
var mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
function M_OnLockEnable(enabled) {
    managerLog.push("OnLockEnable(" + enabled + ")");
    say("OnLockEnable(" + enabled + "): signed in, Lock & Key can be used; inviting " + BOB);
    // Messenger applications wait for this event before they use the API.
    if (phase < 0) nextPhase();
}
function M_OnAppRegistered(guid) { managerLog.push("OnAppRegistered(" + guid + ")"); }
function M_OnAppUnRegistered(guid) { managerLog.push("OnAppUnRegistered(" + guid + ")"); }
function M_OnInvitation(s, data, handled) { managerLog.push("OnInvitation(" + data + ")"); }
function M_OnLockChallenge(cookie, text) { managerLog.push("OnLockChallenge"); }
function M_OnLockResult(cookie, ok) { managerLog.push("OnLockResult"); }
function M_OnAppShutdown() { managerLog.push("OnAppShutdown"); }

try { mgr.UnRegisterApplication(APP); } catch (e) { }     // left over from an interrupted run
managerLog = [];
checkOk(function () {
    mgr.RegisterApplication(APP.toLowerCase(), "Chess (event test)", "http://example.org/chess", "C:\\chess.exe", 0);
}, "RegisterApplication");
// OnAppRegistered came during the call, with the GUID in upper case.
checkEq(managerLog.join(" "), "OnAppRegistered(" + APP + ")", "manager events after RegisterApplication");
// IMsgrLock is not a dispatch interface: a script cannot reach RequestChallenge / SendResponse.
checkThrows(function () { mgr.RequestChallenge(1); }, "RequestChallenge is not a member of the manager's IDispatch");

// ---- the phases ---------------------------------------------------------------------------------
function nextPhase() {
    if (session) WScript.DisconnectObject(session);
    session = null;
    if (++phase >= phases.length) {
        finish();
        return;
    }
    var name = phases[phase], s = mgr.CreateSession();
    log = [];
    session = s;
    WScript.ConnectObject(s, "S_");
    say("[" + name + "] inviting " + BOB + " with \"" + TEXT[name] + "\"");
    checkOk(function () {
        s.Application = APP;
        s.LocalAddress = "10.0.0.1";
        s.Invite({ SigninName: BOB }, TEXT[name]);
    }, "[" + name + "] Invite");
    checkEq(s.State, SS_INVITATION, "[" + name + "] State after Invite");
    checkEq(s.Flags, SF_INVITER, "[" + name + "] Flags after Invite");
    checkEq(s.User.SigninName, BOB, "[" + name + "] User.SigninName");
    if (name === "accept") {
        checkErr(function () { s.Accept(""); }, SR_NOT_INVITEE, "[accept] Accept by the inviter");
        checkErr(function () { s.Application = APP; }, SR_SESSION_NOT_READY, "[accept] Application = ... after Invite");
    }
    if (name === "cancel") {
        // Let it ring: Sleep runs the message loop, so bob gets the invitation meanwhile.
        WScript.Sleep(300);
        say("[cancel] calling it off: Cancel(SR_APPLICATION_LAUNCH_FAILED, \"could not start\")");
        checkOk(function () { s.Cancel(SR_APPLICATION_LAUNCH_FAILED, "could not start"); }, "[cancel] Cancel");
    }
}

// ---- the session's events -----------------------------------------------------------------------
function S_OnStateChanged(prev) {
    var now = session.State;
    logEvent("OnStateChanged(" + prev + ")->" + now);
    if (phases[phase] === "accept" && now === SS_CONNECTED) {
        checkEq(session.RemoteAddress, "10.0.0.2", "[accept] RemoteAddress (bob's LocalAddress)");
        checkOk(function () { session.SendContextData("alice-ctx-1"); }, "[accept] SendContextData(\"alice-ctx-1\")");
    }
}
function S_OnAccepted(data) {
    logEvent("OnAccepted(" + data + ")");
    checkEq(session.ContextData, "welcome", "[accept] ContextData in OnAccepted (the acceptance's data)");
}
function S_OnContextData(data) {
    logEvent("OnContextData(" + data + ")");
    checkEq(session.ContextData, data, "ContextData in OnContextData");
    if (data !== "bob-ctx") return;
    // 300 characters at most, 5 sends per session and side: 1 done, 4 more, then refused.
    checkErr(function () { session.SendContextData(new Array(302).join("c")); }, SR_CONTEXT_DATA_OVER_LIMIT,
             "[accept] SendContextData(301 characters)");
    checkOk(function () { for (var i = 2; i <= 5; i++) session.SendContextData("alice-ctx-" + i); },
            "[accept] SendContextData 2..5");
    checkErr(function () { session.SendContextData("alice-ctx-6"); }, SR_CONTEXT_DATA_OVER_LIMIT,
             "[accept] a 6th SendContextData");
    say("[accept] hanging up: Cancel(0, \"bye\")");
    checkOk(function () { session.Cancel(0, "bye"); }, "[accept] Cancel(0, \"bye\")");
}
function S_OnDeclined(data) { logEvent("OnDeclined(" + data + ")"); }
function S_OnCancelled(data) { logEvent("OnCancelled(" + data + ")"); }
function S_OnAppNotPresent(name, url) { logEvent("OnAppNotPresent(" + name + ", " + url + ")"); }
function S_OnReadyToLaunch() { logEvent("OnReadyToLaunch"); }
function S_OnSendError(h) { logEvent("OnSendError(" + hex(h) + ")"); }
function S_BeforeAppLaunch(enable) { logEvent("BeforeAppLaunch(" + enable + ")"); }
function S_OnTermination(h, data) {
    var name = phases[phase];
    logEvent("OnTermination(" + hex(h) + ", " + data + ")");
    checkEq(typeof h, "number", "[" + name + "] OnTermination's hr is a number");
    checkEq(log.join(" "), EXPECTED[name], "[" + name + "] alice's events");
    checkErr(function () { session.Cancel(0, ""); }, SR_SESSION_STATE_INVALID, "[" + name + "] Cancel after the end");
    // Over a network a new invitation may overtake the last messages of the session before it
    // (another dialog, another path through a proxy): give bob a moment to see this one end.
    if (PEER_GIVEN) WScript.Sleep(500);
    nextPhase();
}

function finish() {
    // Only alice's own: bob's registrations and Lock & Key are his.
    checkEq(managerLog.join(" "), "OnAppRegistered(" + APP + ") OnLockEnable(true)", "alice's manager events");
    say(checks + " checks, fails=" + fails);
    // Tell bob: he ends the run.
    var s = mgr.CreateSession();
    s.Application = APP;
    s.Invite({ SigninName: BOB }, "done: that was all");
    if (PEER_GIVEN) {           // no one else ends this process: give the invitation time to leave
        WScript.Sleep(1500);
        WScript.Quit(0);
    }
}
