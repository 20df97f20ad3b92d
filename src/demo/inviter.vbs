' inviter.vbs: alice's half of the script demo (scripts/demo.sh runs it, with invitee.js as bob).
'
' A VBScript application that uses msgsc as it would have used Windows Messenger: it registers its
' application, waits for OnLockEnable, invites bob and prints every event it gets.
'   Scene 1: alice invites bob to a game of chess; bob accepts; they exchange their addresses
'            with SendContextData; alice hangs up.
'   Scene 2: alice invites bob again; bob declines.
' scripts/demo.sh runs the two scripts as two processes that talk SIP over 127.0.0.1 (alice learns
' bob's address from MSGSC_DEMO_PEER); the tests also run them in one process over the loopback
' transport.  msgsc-scripthost stands in for cscript because Wine's cscript cannot deliver events
' to scripts (tests/com/scripthost/README.md).
'
' Alice checks that each scene ended as the design says.  Her last line is "alice: everything
' went as expected" when it did; then she ends the run with WScript.Quit.
Option Explicit

Const CHESS = "{6D5C0B01-7E57-4A11-9C0D-00000000DE30}"   ' the demo's application GUID
Dim BOB, MYSELF
BOB = EnvOr("MSGSC_DEMO_PEER", "bob@example.org")
MYSELF = EnvOr("MSGSC_IDENTITY", "alice@example.org")
Const SR_INVITATION_DECLINED = &H81000602
Const SR_SESSION_CANCELLED_LOCAL = &H81000606
Const SS_CONNECTED = 4

Dim STATES
STATES = Array("SS_UNKNOWN", "SS_READY", "SS_INVITATION", "SS_ACCEPTED", "SS_CONNECTED", _
               "SS_CANCELLED", "SS_DECLINED", "SS_TERMINATED")

Dim mgr, game, scene, problems
scene = 0
problems = 0

' An environment variable, or fallback when it is not set.
Function EnvOr(name, fallback)
    Dim v
    v = CreateObject("WScript.Shell").ExpandEnvironmentStrings("%" & name & "%")
    If InStr(v, Chr(0)) > 0 Then v = Left(v, InStr(v, Chr(0)) - 1)   ' Wine counts the NUL
    If v = "%" & name & "%" Or v = "" Then EnvOr = fallback Else EnvOr = v
End Function

' ---- output ------------------------------------------------------------------------------------------------
Sub Show(text)
    WScript.Echo "alice | " & text
End Sub

' An event of the session: its name and arguments, then the State the event leaves it in.
Sub ShowEvent(text)
    Dim line
    line = "event  " & text
    If Len(line) < 62 Then line = Left(line & Space(62), 62)
    Show line & "  State=" & STATES(game.State)
End Sub

' An event of the manager.
Sub ShowManagerEvent(text)
    Show "event  " & text
End Sub

Sub ShowCall(text)
    Show "call   " & text
End Sub

Function Quote(text)
    Quote = """" & text & """"
End Function

Function HrName(hr)
    Select Case hr
    Case SR_INVITATION_DECLINED: HrName = "SR_INVITATION_DECLINED"
    Case SR_SESSION_CANCELLED_LOCAL: HrName = "SR_SESSION_CANCELLED_LOCAL"
    Case &H81000607: HrName = "SR_SESSION_CANCELLED_REMOTE"
    Case &H81000609: HrName = "SR_SESSION_TIMEOUT"
    Case Else: HrName = "0x" & Hex(hr)
    End Select
End Function

Sub Expect(cond, what)
    If Not cond Then
        problems = problems + 1
        Show "PROBLEM: " & what
    End If
End Sub

' ---- bob, as a contact --------------------------------------------------------------------------------------
' Invite takes any object with a SigninName property: a VBScript Class does it on Windows.  Wine's
' VBScript cannot lend msgsc a Class object by name (its classes lack IDispatch::GetIDsOfNames),
' so there alice makes bob's contact as a JScript object, through the ScriptControl.
Class Contact
    Public SigninName
End Class

Function JScriptContact(name)
    Dim js
    Set js = CreateObject("MSScriptControl.ScriptControl")
    js.Language = "JScript"
    Set JScriptContact = js.Eval("({ SigninName: '" & name & "' })")
End Function

Sub InviteBob(session, data)
    Dim bobContact, n, d
    Set bobContact = New Contact
    bobContact.SigninName = BOB
    On Error Resume Next
    session.Invite bobContact, data
    If Err.Number = &H80070057 Then          ' E_INVALIDARG: the Class was not readable (Wine)
        Err.Clear
        session.Invite JScriptContact(BOB), data
    End If
    n = Err.Number
    d = Err.Description
    On Error GoTo 0
    If n <> 0 Then Err.Raise n, "Invite", d
End Sub

' ---- alice signs in -------------------------------------------------------------------------------------------
' WScript.CreateObject with a prefix connects the manager's events to the Alice_ subs below.
Set mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "Alice_")
Show "I am " & MYSELF & ", written in VBScript.  I register the application ""Chess"":"
On Error Resume Next
mgr.UnRegisterApplication CHESS            ' in case an earlier run was interrupted
On Error GoTo 0
ShowCall "RegisterApplication(bstrAppGUID=" & CHESS & ", bstrAppName=""Chess"", ...)"
mgr.RegisterApplication CHESS, "Chess", "http://example.org/chess", "C:\Games\chess.exe", 0

Sub Alice_OnAppRegistered(bstrAppGUID)
    ShowManagerEvent "OnAppRegistered(bstrAppGUID=" & bstrAppGUID & ")"
End Sub

' Messenger applications wait for this before they use the API.
Sub Alice_OnLockEnable(fEnable)
    ShowManagerEvent "OnLockEnable(fEnable=" & fEnable & ")    Lock & Key is ready"
    ' Give bob a moment to sign in as well (Sleep runs the message loop, so events go on).
    WScript.Sleep 100
    If scene = 0 Then StartScene 1
End Sub

' ---- the scenes -----------------------------------------------------------------------------------------------
Sub StartScene(n)
    Dim text
    scene = n
    WScript.Echo ""
    If n = 1 Then
        WScript.Echo "== Scene 1: alice invites bob, bob accepts, they swap addresses, alice hangs up =="
        text = "Shall we play chess?"
    Else
        WScript.Echo "== Scene 2: alice invites bob again, bob declines =="
        text = "Another game?"
    End If
    Set game = mgr.CreateSession()
    WScript.ConnectObject game, "Game_"        ' the session's events go to the Game_ subs
    game.Application = CHESS
    game.LocalAddress = "10.0.0.1"
    ShowCall "Invite(pUser=" & BOB & ", bstrAppData=" & Quote(text) & ")"
    InviteBob game, text
End Sub

Sub Game_OnStateChanged(prevState)
    ShowEvent "OnStateChanged(prevState=" & STATES(prevState) & ")"
    If scene = 1 And game.State = SS_CONNECTED Then
        Show "       connected: bob is at RemoteAddress=" & game.RemoteAddress
        ShowCall "SendContextData(bstrData=""ip=10.0.0.1;port=1503"")"
        game.SendContextData "ip=10.0.0.1;port=1503"
    End If
End Sub

Sub Game_OnAccepted(bstrAppData)
    ShowEvent "OnAccepted(bstrAppData=" & Quote(bstrAppData) & ")"
End Sub

Sub Game_OnDeclined(bstrAppData)
    ShowEvent "OnDeclined(bstrAppData=" & Quote(bstrAppData) & ")"
End Sub

Sub Game_OnCancelled(bstrAppData)
    ShowEvent "OnCancelled(bstrAppData=" & Quote(bstrAppData) & ")"
End Sub

Sub Game_OnContextData(bstrContextData)
    ShowEvent "OnContextData(bstrContextData=" & Quote(bstrContextData) & ")"
    ' Here a real application would connect to bob.  The game is over quickly:
    ShowCall "Cancel(hr=0, bstrAppData=""Good game, bye!"")"
    game.Cancel 0, "Good game, bye!"
End Sub

Sub Game_OnSendError(hr)
    ShowEvent "OnSendError(hr=" & HrName(hr) & ")"
    Expect False, "a message could not be sent"
End Sub

Sub Game_OnAppNotPresent(bstrAppName, bstrAppURL)
    ShowEvent "OnAppNotPresent(bstrAppName=" & Quote(bstrAppName) & ", bstrAppURL=" & Quote(bstrAppURL) & ")"
    Expect False, "bob does not have the application"
End Sub

' The last event of every session.
Sub Game_OnTermination(hr, bstrAppData)
    ShowEvent "OnTermination(hr=" & HrName(hr) & ", bstrAppData=" & Quote(bstrAppData) & ")"
    WScript.DisconnectObject game
    If scene = 1 Then
        Expect hr = SR_SESSION_CANCELLED_LOCAL, "scene 1 should end with SR_SESSION_CANCELLED_LOCAL"
        WScript.Sleep 200                      ' a moment for bob to see the end (Sleep runs the events)
        StartScene 2
    Else
        Expect hr = SR_INVITATION_DECLINED, "scene 2 should end with SR_INVITATION_DECLINED"
        Finish
    End If
End Sub

Sub Finish()
    WScript.Echo ""
    mgr.UnRegisterApplication CHESS
    If problems = 0 Then
        Show "everything went as expected"
    Else
        Show problems & " problem(s)"
    End If
    WScript.Quit problems
End Sub
