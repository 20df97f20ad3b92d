// invitee.js: bob's half of the script demo (scripts/demo.sh runs it, with inviter.vbs as alice).
//
// A JScript application that waits for invitations and prints every event it gets.  It accepts
// the first invitation, answers alice's address with its own (SendContextData), and declines the
// second one.  Its last line is "bob   | everything went as expected" when all went as the design
// says (docs/design.md §2).
//
// OnInvitation's last argument, pfHandled, is by reference: an application sets it to say "mine".
// JScript cannot write through it, so bob leaves it alone; that changes nothing here (he is the
// only application of his user): the session waits in SS_INVITATION until he answers it.

var CHESS = "{6D5C0B01-7E57-4A11-9C0D-00000000DE30}";
var SR_INVITATION_DECLINED = 0x81000602 | 0, SR_SESSION_CANCELLED_REMOTE = 0x81000607 | 0;
var STATES = ["SS_UNKNOWN", "SS_READY", "SS_INVITATION", "SS_ACCEPTED", "SS_CONNECTED",
              "SS_CANCELLED", "SS_DECLINED", "SS_TERMINATED"];

var game = null, invitations = 0, problems = 0;

// An environment variable, or fallback when it is not set.  MSGSC_DEMO_ALONE: bob runs in a
// process of his own (scripts/demo.sh), so he ends it himself after the second scene.
var shell = new ActiveXObject("WScript.Shell");
function envOr(name, fallback) {
    var v = shell.ExpandEnvironmentStrings("%" + name + "%").replace(/\0.*$/, "");  // Wine counts the NUL
    return v === "%" + name + "%" || v === "" ? fallback : v;
}
var alone = envOr("MSGSC_DEMO_ALONE", "") !== "";

// ---- output ------------------------------------------------------------------------------------
function show(text) { WScript.Echo("bob   | " + text); }
function pad(text, n) { while (text.length < n) text += " "; return text; }
// An event of the session: its name and arguments, then the State the event leaves it in.
function showEvent(text) { show(pad("event  " + text, 62) + "  State=" + STATES[game.State]); }
// An event of the manager.
function showManagerEvent(text) { show("event  " + text); }
function showCall(text) { show("call   " + text); }
function quote(text) { return "\"" + text + "\""; }
function hrName(hr) {
    switch (hr) {
    case SR_INVITATION_DECLINED: return "SR_INVITATION_DECLINED";
    case SR_SESSION_CANCELLED_REMOTE: return "SR_SESSION_CANCELLED_REMOTE";
    case 0x81000609 | 0: return "SR_SESSION_TIMEOUT";
    default: return "0x" + (hr >>> 0).toString(16).toUpperCase();
    }
}
function expect(cond, what) {
    if (!cond) {
        problems++;
        show("PROBLEM: " + what);
    }
}

// ---- bob signs in ------------------------------------------------------------------------------
// WScript.CreateObject with a prefix connects the manager's events to the Bob_ functions below.
var mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "Bob_");
show("I am " + envOr("MSGSC_IDENTITY", "bob@example.org") + ", written in JScript.  I wait for invitations.");

function Bob_OnLockEnable(fEnable) {
    showManagerEvent("OnLockEnable(fEnable=" + fEnable + ")    Lock & Key is ready");
}

function Bob_OnInvitation(pSession, bstrAppData, pfHandled) {
    invitations++;
    game = pSession;                   // kept: this is bob's session now
    showEvent("OnInvitation(pSession, bstrAppData=" + quote(bstrAppData) + ", pfHandled=" + pfHandled + ")");
    show("       from " + game.User.SigninName + " for " + quote(game.ApplicationName) + " " + game.Application +
         ", SessionID=" + game.SessionID);
    WScript.ConnectObject(game, "Game_");       // the session's events go to the Game_ functions
    if (invitations === 1) {
        game.LocalAddress = "10.0.0.2";        // what alice will see as RemoteAddress
        showCall("Accept(bstrAppData=\"Yes! I'll play white.\")");
        game.Accept("Yes! I'll play white.");
    } else {
        showCall("Decline(bstrAppData=\"Sorry, I have to go now.\")");
        game.Decline("Sorry, I have to go now.");
    }
}

// ---- the session's events ----------------------------------------------------------------------
function Game_OnStateChanged(prevState) {
    showEvent("OnStateChanged(prevState=" + STATES[prevState] + ")");
    if (game.State === 4) show("       connected: alice is at RemoteAddress=" + game.RemoteAddress);
}
function Game_OnContextData(bstrContextData) {
    showEvent("OnContextData(bstrContextData=" + quote(bstrContextData) + ")");
    showCall("SendContextData(bstrData=\"ip=10.0.0.2;port=1504\")");
    game.SendContextData("ip=10.0.0.2;port=1504");
}
function Game_OnAccepted(bstrAppData) { showEvent("OnAccepted(bstrAppData=" + quote(bstrAppData) + ")"); }
function Game_OnDeclined(bstrAppData) { showEvent("OnDeclined(bstrAppData=" + quote(bstrAppData) + ")"); }
function Game_OnCancelled(bstrAppData) { showEvent("OnCancelled(bstrAppData=" + quote(bstrAppData) + ")"); }
function Game_OnSendError(hr) {
    showEvent("OnSendError(hr=" + hrName(hr) + ")");
    expect(false, "a message could not be sent");
}

// The last event of every session.
function Game_OnTermination(hr, bstrAppData) {
    showEvent("OnTermination(hr=" + hrName(hr) + ", bstrAppData=" + quote(bstrAppData) + ")");
    WScript.DisconnectObject(game);
    game = null;
    if (invitations === 1) {
        expect(hr === SR_SESSION_CANCELLED_REMOTE, "scene 1 should end with SR_SESSION_CANCELLED_REMOTE");
    } else {
        expect(hr === SR_INVITATION_DECLINED, "scene 2 should end with SR_INVITATION_DECLINED");
        show(problems ? problems + " problem(s)" : "everything went as expected");
        if (alone) {
            WScript.Sleep(1000);               // the decline's last packets leave (Sleep runs the events)
            WScript.Quit(problems);
        }
    }
}
