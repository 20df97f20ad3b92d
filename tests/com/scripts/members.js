// members.js: every member of IMsgrSessionManager and IMsgrSession, called from JScript through
// IDispatch, as a JScript application calls them.  It runs under Wine's own cscript (no events
// there: see the event tests next to it), for the DLL of the host's bitness:
//     /usr/lib/wine/wine64 cscript.exe //nologo members.js      (x86_64)
//     wine cscript.exe //nologo members.js                      (i686)
// MSGSC_IDENTITY must be unset: the script picks its users through HKCU\Software\msgsc\Identity,
// the second way msgsc learns who the user is (docs/usage.md, "Who you are").
//
// Every check prints "ok N - ..." or "not ok N - ...".  A failing call throws; the check compares
// e.number with the exact HRESULT (JScript gives it as a negative number: hr(0x81000614)) and
// requires a non-empty e.description.  Wine's cscript swallows script errors, so the whole script
// runs inside a try/catch that reports anything unexpected, and the checks are counted against a
// plan.  The last line is "members.js: N checks, fails=F"; the test passes on fails=0.

var PLAN = 82;

function hr(x) { return x | 0; }     // an HRESULT as JScript's e.number shows it (signed)
function hex(n) { return (n >>> 0).toString(16).toUpperCase(); }

var E_FAIL = hr(0x80004005), E_NOTIMPL = hr(0x80004001), E_INVALIDARG = hr(0x80070057),
    E_OUTOFMEMORY = hr(0x8007000E), MSGR_E_NOT_LOGGED_ON = hr(0x8100031E),
    SR_SESSION_NOT_READY = hr(0x81000605), SR_NOT_INVITEE = hr(0x8100060B),
    SR_APP_ALREADY_REGISTERED = hr(0x8100060D), SR_APP_NOT_REGISTERED = hr(0x8100060E),
    SR_APP_NOT_SPECIFIED = hr(0x81000610), SR_CONTEXT_DATA_OVER_LIMIT = hr(0x81000611),
    SR_NO_USER_INVITED = hr(0x81000612), SR_INVITED_SELF = hr(0x81000613),
    SR_SESSION_STATE_INVALID = hr(0x81000614);
var SS_READY = 1, SS_INVITATION = 2, SS_CANCELLED = 5, SF_INVITER = 1;

// An application GUID of this test's own (applications are registered machine-wide).
var APP = "{6D5C0B01-7E57-4A11-9C0D-00000000B5B2}";
var APP_LOWER = APP.toLowerCase();
var APP_NAME = "members.js test app", APP_URL = "http://example.org/members-js";
var ALICE = "alice.js@example.org", BOB = "bob.js@example.org";

var checks = 0, fails = 0;

function report(cond, what) {
    checks++;
    if (cond) {
        WScript.Echo("ok " + checks + " - " + what);
    } else {
        fails++;
        WScript.Echo("not ok " + checks + " - " + what);
    }
}

// f() must throw hr with a description.
function checkErr(f, want, what) {
    try {
        f();
    } catch (e) {
        if (e.number === want && e.description)
            report(true, what + " -> " + hex(want) + " (" + e.description + ")");
        else
            report(false, what + ": got " + hex(e.number) + " [" + e.description + "], want " + hex(want) +
                   " with a description");
        return;
    }
    report(false, what + ": no error, want " + hex(want));
}

// f() must not throw.
function checkOk(f, what) {
    try {
        f();
    } catch (e) {
        report(false, what + ": failed with " + hex(e.number) + " [" + e.description + "]");
        return;
    }
    report(true, what);
}

function checkEq(got, want, what) {
    report(got === want, what + " = " + got + (got === want ? "" : ", want " + want));
}

function repeat(n, c) { return new Array(n + 1).join(c); }

function run() {
    var mgr, bobMgr, selfMgr, s, s2, other, user, v, selfSession;

    // ---- users: HKCU\Software\msgsc\Identity, read when a manager is created --------------------
    var shell = new ActiveXObject("WScript.Shell"), key = "HKCU\\Software\\msgsc\\Identity";
    var oldIdentity = null;
    try { oldIdentity = shell.RegRead(key); } catch (e) { }
    checkOk(function () {
        try {
            shell.RegWrite(key, BOB, "REG_SZ");
            bobMgr = new ActiveXObject("MessengerPrivate.MsgrSessionManager");
            shell.RegWrite(key, ALICE, "REG_SZ");
            mgr = new ActiveXObject("MessengerPrivate.MsgrSessionManager");
            // An empty value counts as none: the user is then %USERNAME%@localhost.
            shell.RegWrite(key, "", "REG_SZ");
            selfMgr = new ActiveXObject("MessengerPrivate.MsgrSessionManager");
        } finally {
            // As it was (Wine's WScript.Shell cannot RegDelete: an empty value stands for none).
            shell.RegWrite(key, oldIdentity !== null ? oldIdentity : "", "REG_SZ");
        }
    }, "new ActiveXObject(\"MessengerPrivate.MsgrSessionManager\") for three users");

    // ---- IMsgrSessionManager ---------------------------------------------------------------------
    checkOk(function () { s = mgr.CreateSession(); }, "CreateSession");
    report(typeof s === "object" && s !== null, "CreateSession returns an object");
    checkErr(function () { other = mgr.GetLaunchingSession(1234); }, E_FAIL, "GetLaunchingSession(1234)");
    checkErr(function () { other = mgr.Applications; }, E_NOTIMPL, "Applications");

    try { mgr.UnRegisterApplication(APP); } catch (e) { }     // left over from an interrupted run
    checkErr(function () { mgr.RegisterApplication(APP, APP_NAME, APP_URL, "C:\\apps\\members.exe", 1); },
             E_INVALIDARG, "RegisterApplication with ulFlags 1");
    checkErr(function () { mgr.RegisterApplication("not a guid", APP_NAME, APP_URL, "C:\\apps\\members.exe", 0); },
             E_INVALIDARG, "RegisterApplication(\"not a guid\")");
    checkErr(function () { mgr.RegisterApplication(APP, "", APP_URL, "C:\\apps\\members.exe", 0); },
             E_INVALIDARG, "RegisterApplication with an empty name");
    checkErr(function () { mgr.RegisterApplication(APP, repeat(257, "n"), APP_URL, "C:\\apps\\members.exe", 0); },
             E_INVALIDARG, "RegisterApplication with a 257-character name");
    checkErr(function () { mgr.RegisterApplication(APP, APP_NAME, APP_URL, "", 0); },
             E_INVALIDARG, "RegisterApplication with an empty path");
    checkOk(function () { mgr.RegisterApplication(APP, APP_NAME, APP_URL, "C:\\apps\\members.exe", 0); },
            "RegisterApplication");
    checkErr(function () { mgr.RegisterApplication(APP, APP_NAME, APP_URL, "C:\\apps\\members.exe", 0); },
             SR_APP_ALREADY_REGISTERED, "RegisterApplication again");
    checkErr(function () { mgr.UnRegisterApplication("{nope}"); }, E_INVALIDARG, "UnRegisterApplication(\"{nope}\")");

    // ---- IMsgrSession: a new session -------------------------------------------------------------
    checkEq(s.State, SS_READY, "State of a new session");
    checkEq(s.Flags, 0, "Flags of a new session");
    v = s.SessionID;
    report(/^\{[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\}$/.test(v),
           "SessionID " + v + " is a braced upper-case version-4 GUID");
    s2 = mgr.CreateSession();
    report(s2.SessionID !== v, "a second session has another SessionID");
    checkErr(function () { v = s.Application; }, SR_APP_NOT_SPECIFIED, "Application before it is set");
    checkErr(function () { v = s.ApplicationName; }, SR_APP_NOT_SPECIFIED, "ApplicationName before Application is set");
    checkErr(function () { v = s.ApplicationURL; }, SR_APP_NOT_SPECIFIED, "ApplicationURL before Application is set");
    checkErr(function () { user = s.User; }, SR_NO_USER_INVITED, "User before Invite");
    checkEq(s.RemoteAddress, "", "RemoteAddress before anything arrived");
    checkEq(s.ContextData, "", "ContextData before anything arrived");
    checkEq(s.LocalAddress, "127.0.0.1", "LocalAddress by default");

    // Application
    checkErr(function () { s.Application = "{nope}"; }, E_INVALIDARG, "Application = \"{nope}\"");
    checkErr(function () { s.Application = APP + "XX"; }, E_OUTOFMEMORY, "Application = a 40-character string");
    checkErr(function () { s.Application = "{00000000-0000-0000-0000-0000000000AA}"; }, SR_APP_NOT_REGISTERED,
             "Application = an unregistered GUID");
    checkOk(function () { s.Application = APP_LOWER; }, "Application = the registered GUID in lower case");
    checkEq(s.Application, APP, "Application");
    checkEq(s.ApplicationName, APP_NAME, "ApplicationName");
    checkEq(s.ApplicationURL, APP_URL, "ApplicationURL");

    // LocalAddress: 30 characters at most
    checkErr(function () { s.LocalAddress = repeat(31, "1"); }, E_OUTOFMEMORY, "LocalAddress = 31 characters");
    checkEq(s.LocalAddress, "127.0.0.1", "LocalAddress after the refusal");
    checkOk(function () { s.LocalAddress = repeat(30, "2"); }, "LocalAddress = 30 characters");
    checkOk(function () { s.LocalAddress = "192.168.7.7"; }, "LocalAddress = \"192.168.7.7\"");
    checkEq(s.LocalAddress, "192.168.7.7", "LocalAddress");

    // calls in the wrong state
    checkErr(function () { s.Accept("yes"); }, SR_SESSION_STATE_INVALID, "Accept in SS_READY");
    checkErr(function () { s.Decline("no"); }, SR_SESSION_STATE_INVALID, "Decline in SS_READY");
    checkErr(function () { s.Cancel(0, "stop"); }, SR_SESSION_STATE_INVALID, "Cancel in SS_READY");
    checkErr(function () { s.SendContextData("data"); }, SR_SESSION_STATE_INVALID, "SendContextData in SS_READY");

    // Invite: who.  A contact is any object with a SigninName property (docs/usage.md).
    var nobody = { SigninName: "nobody@example.org" };
    checkErr(function () { s.Invite({ FriendlyName: "x" }, "hello"); }, E_INVALIDARG,
             "Invite(an object without SigninName)");
    checkErr(function () { s.Invite(new ActiveXObject("Scripting.Dictionary"), "hello"); }, E_INVALIDARG,
             "Invite(a Scripting.Dictionary)");
    checkErr(function () { s.Invite({ SigninName: "" }, "hello"); }, E_INVALIDARG, "Invite(SigninName = \"\")");
    checkErr(function () { s.Invite({ SigninName: repeat(130, "u") + "@x" }, "hello"); }, E_INVALIDARG,
             "Invite(a 132-character SigninName)");
    checkErr(function () { s.Invite({ SigninName: ALICE.toUpperCase() }, "hello"); }, SR_INVITED_SELF,
             "Invite(yourself, in upper case)");
    checkErr(function () { s.Invite(nobody, "hello"); }, MSGR_E_NOT_LOGGED_ON, "Invite(a user who is not logged on)");
    // Invite: what (512 bytes as UTF-8 at most)
    checkErr(function () { s.Invite(nobody, repeat(513, "x")); }, SR_CONTEXT_DATA_OVER_LIMIT,
             "Invite with 513 bytes of data");
    checkErr(function () { s.Invite(nobody, repeat(171, "\u20ac")); }, SR_CONTEXT_DATA_OVER_LIMIT,
             "Invite with 171 euro signs (513 bytes as UTF-8)");
    checkErr(function () { s.Invite(nobody, repeat(170, "\u20ac")); }, MSGR_E_NOT_LOGGED_ON,
             "Invite with 170 euro signs (510 bytes) gets past the limit");
    checkErr(function () { s.Invite(nobody, repeat(512, "x")); }, MSGR_E_NOT_LOGGED_ON,
             "Invite with 512 bytes gets past the limit");
    checkErr(function () { s.Invite(nobody, "bad \ud800 text"); }, E_INVALIDARG, "Invite with an unpaired surrogate");
    // refused calls changed nothing
    checkEq(s.State, SS_READY, "State after the refused calls");
    checkErr(function () { user = s.User; }, SR_NO_USER_INVITED, "User after the refused calls");

    // The user with no configured identity is %USERNAME%@localhost.
    var userName = new ActiveXObject("WScript.Network").UserName;
    selfSession = selfMgr.CreateSession();
    checkOk(function () { selfSession.Application = APP; }, "Application on a session of the third manager");
    checkErr(function () { selfSession.Invite({ SigninName: userName + "@localhost" }, ""); }, SR_INVITED_SELF,
             "an empty Identity value means " + userName + "@localhost: inviting that");
    checkOk(function () { selfSession.Invite({ SigninName: ALICE }, ""); },
            "%USERNAME%@localhost invites " + ALICE);
    checkEq(selfSession.State, SS_INVITATION, "State after that Invite");
    checkOk(function () { selfSession.Cancel(0, ""); }, "Cancel it");

    // ---- an invitation on its way (bob's manager is on this thread, so bob is online) ------------
    checkOk(function () { s.Invite({ SigninName: BOB }, "hello bob"); }, "Invite(bob, \"hello bob\")");
    checkEq(s.State, SS_INVITATION, "State after Invite");
    checkEq(s.Flags, SF_INVITER, "Flags after Invite");
    checkOk(function () { user = s.User; }, "User after Invite");
    checkEq(user.SigninName, BOB, "User.SigninName");
    checkEq(user.FriendlyName, BOB, "User.FriendlyName");
    checkEq(user.IsSelf, false, "User.IsSelf");
    checkEq(user.Status, 0, "User.Status (MISTATUS_UNKNOWN)");
    checkEq(user.ServiceName, "msgsc", "User.ServiceName");
    checkErr(function () { s.Application = APP; }, SR_SESSION_NOT_READY, "Application = ... after Invite");
    checkErr(function () { s.Invite({ SigninName: BOB }, "again"); }, SR_SESSION_NOT_READY, "Invite again");
    checkErr(function () { s.LocalAddress = "10.0.0.1"; }, SR_SESSION_STATE_INVALID,
             "LocalAddress = ... on an inviter in SS_INVITATION");
    checkErr(function () { s.Accept("yes"); }, SR_NOT_INVITEE, "Accept by the inviter");
    checkErr(function () { s.Decline("no"); }, SR_NOT_INVITEE, "Decline by the inviter");
    checkErr(function () { s.SendContextData("data"); }, SR_SESSION_STATE_INVALID, "SendContextData in SS_INVITATION");
    checkErr(function () { s.Cancel(0, repeat(513, "x")); }, SR_CONTEXT_DATA_OVER_LIMIT, "Cancel with 513 bytes of data");
    checkOk(function () { s.Cancel(0, "changed my mind"); }, "Cancel(0, \"changed my mind\")");
    checkEq(s.State, SS_CANCELLED, "State after Cancel");
    checkErr(function () { s.Cancel(0, "again"); }, SR_SESSION_STATE_INVALID, "Cancel again");
    checkEq(s.SessionID !== "", true, "SessionID still readable");

    // ---- clean up --------------------------------------------------------------------------------
    checkOk(function () { mgr.UnRegisterApplication(APP_LOWER); }, "UnRegisterApplication (lower case)");
    checkErr(function () { mgr.UnRegisterApplication(APP); }, SR_APP_NOT_REGISTERED, "UnRegisterApplication again");
    checkErr(function () { s2.Application = APP; }, SR_APP_NOT_REGISTERED, "Application = the unregistered GUID");
    s = s2 = selfSession = user = mgr = bobMgr = selfMgr = null;
    CollectGarbage();
    report(true, "releasing everything");
}

try {
    run();
} catch (e) {
    fails++;
    WScript.Echo("not ok - unexpected error " + hex(e.number) + " [" + e.description + "] after check " + checks);
}
if (checks !== PLAN) {
    fails++;
    WScript.Echo("not ok - ran " + checks + " checks, planned " + PLAN);
}
WScript.Echo("members.js: " + checks + " checks, fails=" + fails);
WScript.Quit(fails);
