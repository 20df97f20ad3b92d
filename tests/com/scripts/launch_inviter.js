// launch_inviter.js: alice's side of the launch tests (launch.sh, docs/agent.md): invitations to
// bob, whose agent runs but whose application does not.
//   launch:       bob's agent launches the registered application (launched.js), which picks the
//                 session up with GetLaunchingSession; alice hears OnAccepted, then its report
//   notinstalled: an application bob does not have: OnAppNotPresent, then OnTermination
//   launchfail:   a registered Path that cannot start: OnTermination(SR_APPLICATION_LAUNCH_FAILED)
//   appdies:      the launched application takes the session, then dies: bob's agent ends the
//                 session for it, OnTermination(SR_CONNECTION_FAILURE)
//   veto:         bob's running observer.vbs answers BeforeAppLaunch with FALSE: it keeps the
//                 session, accepted, and reports through context data
//   policy:       carol's agent takes invitations from nobody: declined
//   invited:      the other way round: bob invites alice from his agent ("AgentMain invite"),
//                 which launches his application (launched.js) as the inviter; alice accepts in
//                 OnInvitation, gets its report, answers "done", and it ends the session
// Checks print "ok N - ..." / "not ok N - ..."; the last line is "launch_inviter.js: N checks, fails=F".
var ME = "launch_inviter.js";
var sh = new ActiveXObject("WScript.Shell");
function env(n) { var v = sh.ExpandEnvironmentStrings("%" + n + "%").replace(/\0.*$/, ""); return v === "%" + n + "%" ? "" : v; }
var BOB = env("MSGSC_TEST_PEER"), CAROL = env("MSGSC_TEST_CAROL");
var APP = env("MSGSC_TEST_APP");                      // registered with launched.js as its Path
var DYING = env("MSGSC_TEST_DYING_APP");               // the same, killed 2 s after it hangs
var MISSING = "{6D5C0B01-7E57-4A11-9C0D-00000000E0F1}";
var BROKEN = "{6D5C0B01-7E57-4A11-9C0D-00000000E0F2}";
function hr(x) { return x | 0; }
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }

var checks = 0, fails = 0;
function report(cond, what) {
    checks++;
    WScript.Echo((cond ? "ok " : "not ok ") + checks + " - " + ME + ": " + what);
    if (!cond) fails++;
}
function checkEq(got, want, what) { report(got === want, what + " = " + got + (got === want ? "" : ", want " + want)); }

var m = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_");
m.RegisterApplication(BROKEN, "Broken", "http://example.org/broken", "C:\\no\\such\\program.exe", 0);

var phases = ["launch", "notinstalled", "launchfail", "appdies", "veto", "policy", "invited"], phase = -1, s = null, log = [];
var EXPECTED = {
    launch: "OnStateChanged(1) OnStateChanged(2) OnAccepted() OnStateChanged(3) OnContextData(report) " +
            "OnStateChanged(4) OnTermination(81000606)",
    notinstalled: "OnStateChanged(1) OnStateChanged(2) OnAppNotPresent(Missing, http://example.org/missing) " +
                  "OnTermination(81000309)",
    launchfail: "OnStateChanged(1) OnStateChanged(2) OnTermination(81000601)",
    veto: "OnStateChanged(1) OnStateChanged(2) OnAccepted() OnStateChanged(3) OnContextData(report) " +
          "OnStateChanged(4) OnTermination(81000606)",
    appdies: "OnStateChanged(1) OnStateChanged(2) OnAccepted() OnStateChanged(3) OnStateChanged(4) OnTermination(81000603)",
    policy: "OnStateChanged(1) OnStateChanged(2) OnDeclined() OnTermination(81000602)",
    invited: "OnStateChanged(2) OnStateChanged(3) OnContextData(report) OnStateChanged(4) OnTermination(81000607)"
};

function next() {
    phase++;
    if (phase === phases.length) {
        m.UnRegisterApplication(BROKEN);
        WScript.Echo(ME + ": " + checks + " checks, fails=" + fails);
        WScript.Quit(0);
        return;
    }
    log = [];
    var p = phases[phase];
    if (p === "invited") {            // launch.sh runs bob's "AgentMain invite" now
        s = null;
        WScript.Echo(ME + ": waiting for bob's invitation");
        return;
    }
    s = m.CreateSession();
    WScript.ConnectObject(s, "S_");
    if (p === "launch" || p === "policy" || p === "veto") {
        s.Application = APP;
    } else if (p === "notinstalled") {
        // registered here while Application is set, gone by the time bob's agent looks
        m.RegisterApplication(MISSING, "Missing", "http://example.org/missing", "C:\\missing.exe", 0);
        s.Application = MISSING;
        m.UnRegisterApplication(MISSING);
    } else if (p === "appdies") {
        s.Application = DYING;
    } else {
        s.Application = BROKEN;
    }
    WScript.Echo(ME + ": phase " + p);
    s.Invite(m_contact(p === "policy" ? CAROL : BOB), p === "appdies" ? "die" : p);
}

function m_contact(name) { return { SigninName: name }; }

// JScript cannot set pfHandled; answering the session in OnInvitation takes it all the same
function M_OnInvitation(session, data, handled) {
    if (phases[phase] !== "invited" || s) return;
    s = session;
    WScript.ConnectObject(s, "S_");
    checkEq(data, "started", "bob's invitation's data");
    checkEq(s.Flags, 2, "Flags");
    checkEq(s.Application, APP, "Application");
    checkEq(s.User.SigninName.toLowerCase(), BOB.toLowerCase(), "User");
    s.Accept("ok");
}

function S_OnStateChanged(prev) { log.push("OnStateChanged(" + prev + ")"); }
function S_OnAccepted(data) { log.push("OnAccepted(" + data + ")"); }
function S_OnDeclined(data) { log.push("OnDeclined(" + data + ")"); }
function S_OnAppNotPresent(name, url) { log.push("OnAppNotPresent(" + name + ", " + url + ")"); }
function S_OnContextData(data) {
    log.push("OnContextData(report)");
    WScript.Echo(ME + ": bob's application says: " + data);
    report(/^(launched\.js|observer\.vbs): [0-9]+ checks, fails=0$/.test(data), "bob's application's checks passed");
    if (phases[phase] === "invited") s.SendContextData("done");   // bob's application ends it
    else s.Cancel(hr(0x81000606), "done");            // alice ends the session
}
function S_OnTermination(code, data) {
    log.push("OnTermination(" + hex(code) + ")");
    checkEq(log.join(" "), EXPECTED[phases[phase]], phases[phase]);
    WScript.DisconnectObject(s);                      // nothing more is expected of this one
    next();
}
next();
