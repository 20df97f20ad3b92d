// localserver_peer.js: bob, the peer of the local-server agent test (tests/com/localserver_agent.sh),
// in JScript, in msgsc-scripthost, in a process and with an agent of his own.  The other user
// (alice, MSGSC_TEST_PEER) is a C client whose msgsc.dll runs in the COM surrogate.
//   1. alice invites bob: bob checks who and what (the app data), accepts with "bob accepts",
//      and waits for alice to hang up.
//   2. then bob invites alice ("bob invites the surrogate"); she accepts with "alice accepts";
//      bob hears OnAccepted and hangs up ("bye from bob").
// JScript cannot set OnInvitation's pfHandled: bob answers his copy of the session, which takes
// the invitation over (docs/agent.md).  Checks print "ok N - ..." / "not ok N - ..."; the last
// line is "localserver_peer.js: N checks, fails=F".
var ME = "localserver_peer.js";
var sh = new ActiveXObject("WScript.Shell");
function env(n) { var v = sh.ExpandEnvironmentStrings("%" + n + "%").replace(/\0.*$/, ""); return v === "%" + n + "%" ? "" : v; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }
var ALICE = env("MSGSC_TEST_PEER"), APP = env("MSGSC_TEST_APP");
var SS_CONNECTED = 4, SF_INVITER = 1, SF_INVITEE = 2;

var checks = 0, fails = 0;
function say(text) { WScript.Echo(ME + ": " + text); }
function checkEq(got, want, what) {
    checks++;
    if (got !== want) fails++;
    WScript.Echo((got === want ? "ok " : "not ok ") + checks + " - " + ME + ": " + what + " = " + got +
                 (got === want ? "" : ", want " + want));
}

var mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
var first = null, second = null, log1 = [], log2 = [];
say("ready");

// ---- 1. alice invites bob ---------------------------------------------------------------------
function M_OnInvitation(s, data, handled) {
    if (first) {
        checkEq(data, "", "no second invitation from alice");
        return;
    }
    first = s;
    WScript.ConnectObject(first, "A_");
    say("OnInvitation(\"" + data + "\") from " + s.User.SigninName);
    checkEq(data, "hello from the surrogate", "[alice invites] the app data");
    checkEq(s.ContextData, data, "[alice invites] ContextData");
    checkEq(s.User.SigninName, ALICE, "[alice invites] the inviter (her agent's identity)");
    checkEq(s.Application, APP, "[alice invites] Application");
    checkEq(s.Flags, SF_INVITEE, "[alice invites] Flags");
    s.Accept("bob accepts");
}
function A_OnStateChanged(prev) { log1.push("OnStateChanged(" + prev + ")"); }
function A_OnTermination(h, data) {
    log1.push("OnTermination(" + hex(h) + ", " + data + ")");
    checkEq(log1.join(" "), "OnStateChanged(2) OnStateChanged(3) OnStateChanged(4) OnTermination(81000607, bye)",
            "[alice invites] bob's events");
    WScript.DisconnectObject(first);
    invite();
}

// ---- 2. bob invites alice ---------------------------------------------------------------------
function invite() {
    second = mgr.CreateSession();
    WScript.ConnectObject(second, "B_");
    second.Application = APP;
    say("inviting " + ALICE);
    second.Invite({ SigninName: ALICE }, "bob invites the surrogate");
    checkEq(second.Flags, SF_INVITER, "[bob invites] Flags");
}
function B_OnStateChanged(prev) {
    log2.push("OnStateChanged(" + prev + ")");
    if (second.State === SS_CONNECTED) second.Cancel(0, "bye from bob");
}
function B_OnAccepted(data) {
    log2.push("OnAccepted(" + data + ")");
    checkEq(data, "alice accepts", "[bob invites] OnAccepted's data");
}
function B_OnDeclined(data) { log2.push("OnDeclined(" + data + ")"); }
function B_OnAppNotPresent(name, url) { log2.push("OnAppNotPresent(" + name + ")"); }
function B_OnTermination(h, data) {
    log2.push("OnTermination(" + hex(h) + ", " + data + ")");
    checkEq(log2.join(" "), "OnStateChanged(1) OnStateChanged(2) OnAccepted(alice accepts) OnStateChanged(3) " +
            "OnStateChanged(4) OnTermination(81000606, bye from bob)", "[bob invites] bob's events");
    WScript.DisconnectObject(second);
    say(checks + " checks, fails=" + fails);
    WScript.Quit(0);
}
