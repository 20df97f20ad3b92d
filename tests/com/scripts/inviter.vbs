' inviter.vbs: alice's side of the event tests (docs/design.md §2-§3), in VBScript.  It runs in
' msgsc-scripthost together with an invitee script (invitee.js or invitee.vbs), one thread, over
' msgsc's loopback transport:
'     msgsc-scripthost --env MSGSC_IDENTITY=alice@example.org inviter.vbs \
'                      --env MSGSC_IDENTITY=bob@example.org invitee.js
' MSGSC_TEST_PHASES (default "accept decline cancel") lists the invitations alice sends, one after
' the other; the invitation data starts with the phase name, which tells the invitee what to do:
'   accept   bob accepts; context data both ways (5 sends, the 6th is refused); alice hangs up
'   decline  bob declines
'   cancel   bob lets it ring; alice calls it off with Cancel(SR_APPLICATION_LAUNCH_FAILED, ...)
'   timeout  nobody answers: run with MSGSC_LIFETIME_MS=500; both sides time out
' When alice is done she prints her summary and sends one more invitation, "done: ...".  The
' invitee ends the run (WScript.Quit) once it has that and its own last session has ended.
'
' Each session's events are logged as "OnStateChanged(prev)->State ..." and compared, whole, with
' the sequence the design gives.  Checks print "ok N - ..." / "not ok N - ..."; the last line is
' "inviter.vbs: N checks, fails=F".
Option Explicit

Const ME_ = "inviter.vbs"
Const APP = "{6D5C0B01-7E57-4A11-9C0D-00000000E0E1}"     ' this test's own application
Dim BOB, PEER_GIVEN     ' two_processes.sh runs bob in a process of his own, at MSGSC_TEST_PEER
BOB = CreateObject("WScript.Shell").ExpandEnvironmentStrings("%MSGSC_TEST_PEER%")
If InStr(BOB, Chr(0)) > 0 Then BOB = Left(BOB, InStr(BOB, Chr(0)) - 1)   ' Wine counts the NUL
PEER_GIVEN = BOB <> "%MSGSC_TEST_PEER%" And BOB <> ""
If Not PEER_GIVEN Then BOB = "bob@example.org"
Const E_INVALIDARG = &H80070057
Const SR_APPLICATION_LAUNCH_FAILED = &H81000601
Const SR_SESSION_NOT_READY = &H81000605
Const SR_NOT_INVITEE = &H8100060B
Const SR_CONTEXT_DATA_OVER_LIMIT = &H81000611
Const SR_SESSION_STATE_INVALID = &H81000614
Const SS_INVITATION = 2, SS_CONNECTED = 4
Const SF_INVITER = 1

Dim checks, fails
checks = 0
fails = 0

Sub Say(text)
    WScript.Echo ME_ & ": " & text
End Sub

Sub Report(cond, what)
    checks = checks + 1
    If cond Then
        WScript.Echo "ok " & checks & " - " & ME_ & ": " & what
    Else
        fails = fails + 1
        WScript.Echo "not ok " & checks & " - " & ME_ & ": " & what
    End If
End Sub

Sub CheckEq(got, want, what)
    If got = want Then
        Report True, what & " = " & got
    Else
        Report False, what & " = " & got & ", want " & want
    End If
End Sub

' The statement just before failed with hr and a description; clears Err.
Sub CheckErr(hr, what)
    Dim n, d
    n = Err.Number
    d = Err.Description
    Err.Clear
    Report n = hr And Len(d) > 0, what & " -> " & Hex(n) & " (" & d & ")" & IIf(n = hr, "", ", want " & Hex(hr))
End Sub

Sub CheckOk(what)
    Dim n, d
    n = Err.Number
    d = Err.Description
    Err.Clear
    Report n = 0, what & IIf(n = 0, "", ": failed with " & Hex(n) & " [" & d & "]")
End Sub

Function IIf(cond, a, b)
    If cond Then IIf = a Else IIf = b
End Function

' What alice's session sees in each phase, in order (docs/design.md §2, "Every edge").
Function Expected(phase)
    Select Case phase
    Case "accept"
        Expected = "OnStateChanged(1)->2 OnStateChanged(2)->3 OnAccepted(welcome) OnStateChanged(3)->4 " & _
            "OnContextData(bob-ctx) OnStateChanged(4)->7 OnTermination(81000606, bye)"
    Case "decline"
        Expected = "OnStateChanged(1)->2 OnStateChanged(2)->6 OnDeclined(busy) OnTermination(81000602, busy)"
    Case "cancel"
        Expected = "OnStateChanged(1)->2 OnStateChanged(2)->5 OnTermination(81000606, could not start)"
    Case "timeout"
        Expected = "OnStateChanged(1)->2 OnStateChanged(2)->7 OnTermination(81000609, )"
    Case Else
        Expected = "(unknown phase " & phase & ")"
    End Select
End Function

Function Text(phase)
    Select Case phase
    Case "accept": Text = "accept: shall we play chess?"
    Case "decline": Text = "decline: shall we play again?"
    Case "cancel": Text = "cancel: one more game?"
    Case Else: Text = phase & ": anyone there?"
    End Select
End Function

' ---- bob, as a contact ----------------------------------------------------------------------------------
' docs/usage.md: any object with a SigninName property, e.g. a VBScript Class.
Class Contact
    Public SigninName
End Class

Function Person(name)
    Dim c
    Set c = New Contact
    c.SigninName = name
    Set Person = c
End Function

' Invite.  A failure is raised again, for the caller's Err.
Sub InviteBob(s, data)
    Dim n, d
    On Error Resume Next
    s.Invite Person(BOB), data
    n = Err.Number
    d = Err.Description
    On Error GoTo 0
    If n <> 0 Then Err.Raise n, "Invite", d
End Sub

Dim phases, phase, session, log, managerLog, mgr, env
Set env = CreateObject("WScript.Shell").Environment("PROCESS")
phases = Split(IIf(env("MSGSC_TEST_PHASES") = "", "accept decline cancel", env("MSGSC_TEST_PHASES")), " ")
phase = -1
Set session = Nothing
log = ""
managerLog = ""

Function PhaseName()
    If phase >= 0 And phase <= UBound(phases) Then PhaseName = phases(phase) Else PhaseName = "-"
End Function

Sub LogEvent(text)
    Say "[" & PhaseName() & "] " & text
    If session Is Nothing Then Report False, "an event with no session in progress: " & text
    log = Trim(log & " " & text)
End Sub

' ---- the manager ------------------------------------------------------------------------------------------
Set mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_")

Sub M_OnLockEnable(enabled)
    managerLog = Trim(managerLog & " OnLockEnable(" & enabled & ")")
    Say "OnLockEnable(" & enabled & "): signed in, Lock & Key can be used; inviting " & BOB
    ' Messenger applications wait for this event before they use the API.
    If phase < 0 Then NextPhase
End Sub
Sub M_OnAppRegistered(guid)
    managerLog = Trim(managerLog & " OnAppRegistered(" & guid & ")")
End Sub
Sub M_OnAppUnRegistered(guid)
    managerLog = Trim(managerLog & " OnAppUnRegistered(" & guid & ")")
End Sub
Sub M_OnInvitation(s, data, handled)
    managerLog = Trim(managerLog & " OnInvitation(" & data & ")")
End Sub
Sub M_OnLockChallenge(cookie, text)
    managerLog = Trim(managerLog & " OnLockChallenge")
End Sub
Sub M_OnLockResult(cookie, ok)
    managerLog = Trim(managerLog & " OnLockResult")
End Sub
Sub M_OnAppShutdown()
    managerLog = Trim(managerLog & " OnAppShutdown")
End Sub

On Error Resume Next
mgr.UnRegisterApplication APP     ' left over from an interrupted run
Err.Clear
managerLog = ""
mgr.RegisterApplication LCase(APP), "Chess (event test)", "http://example.org/chess", "C:\chess.exe", 0
CheckOk "RegisterApplication"
' OnAppRegistered came during the call, with the GUID in upper case.
CheckEq managerLog, "OnAppRegistered(" & APP & ")", "manager events after RegisterApplication"
' IMsgrLock is not a dispatch interface: a script cannot reach RequestChallenge / SendResponse.
mgr.RequestChallenge 1
Report Err.Number <> 0, "RequestChallenge is not a member of the manager's IDispatch -> " & Hex(Err.Number)
Err.Clear
On Error GoTo 0

' ---- the phases -------------------------------------------------------------------------------------------
Sub NextPhase()
    Dim name, s
    If Not (session Is Nothing) Then WScript.DisconnectObject session
    Set session = Nothing
    phase = phase + 1
    If phase > UBound(phases) Then
        Finish
        Exit Sub
    End If
    name = phases(phase)
    Set s = mgr.CreateSession()
    log = ""
    Set session = s
    WScript.ConnectObject s, "S_"
    Say "[" & name & "] inviting " & BOB & " with """ & Text(name) & """"
    On Error Resume Next
    s.Application = APP
    s.LocalAddress = "10.0.0.1"
    InviteBob s, Text(name)
    CheckOk "[" & name & "] Invite"
    CheckEq s.State, SS_INVITATION, "[" & name & "] State after Invite"
    CheckEq s.Flags, SF_INVITER, "[" & name & "] Flags after Invite"
    CheckEq s.User.SigninName, BOB, "[" & name & "] User.SigninName"
    If name = "accept" Then
        s.Accept ""
        CheckErr SR_NOT_INVITEE, "[accept] Accept by the inviter"
        s.Application = APP
        CheckErr SR_SESSION_NOT_READY, "[accept] Application = ... after Invite"
    End If
    If name = "cancel" Then
        ' Let it ring: Sleep runs the message loop, so bob gets the invitation meanwhile.
        WScript.Sleep 300
        Say "[cancel] calling it off: Cancel(SR_APPLICATION_LAUNCH_FAILED, ""could not start"")"
        s.Cancel SR_APPLICATION_LAUNCH_FAILED, "could not start"
        CheckOk "[cancel] Cancel"
    End If
End Sub

' ---- the session's events ---------------------------------------------------------------------------------
Sub S_OnStateChanged(prev)
    Dim now
    now = session.State
    LogEvent "OnStateChanged(" & prev & ")->" & now
    If PhaseName() = "accept" And now = SS_CONNECTED Then
        CheckEq session.RemoteAddress, "10.0.0.2", "[accept] RemoteAddress (bob's LocalAddress)"
        On Error Resume Next
        session.SendContextData "alice-ctx-1"
        CheckOk "[accept] SendContextData(""alice-ctx-1"")"
    End If
End Sub
Sub S_OnAccepted(data)
    LogEvent "OnAccepted(" & data & ")"
    CheckEq session.ContextData, "welcome", "[accept] ContextData in OnAccepted (the acceptance's data)"
End Sub
Sub S_OnContextData(data)
    Dim i
    LogEvent "OnContextData(" & data & ")"
    CheckEq session.ContextData, data, "ContextData in OnContextData"
    If data <> "bob-ctx" Then Exit Sub
    ' 300 characters at most, 5 sends per session and side: 1 done, 4 more, then refused.
    On Error Resume Next
    session.SendContextData String(301, "c")
    CheckErr SR_CONTEXT_DATA_OVER_LIMIT, "[accept] SendContextData(301 characters)"
    For i = 2 To 5
        session.SendContextData "alice-ctx-" & i
    Next
    CheckOk "[accept] SendContextData 2..5"
    session.SendContextData "alice-ctx-6"
    CheckErr SR_CONTEXT_DATA_OVER_LIMIT, "[accept] a 6th SendContextData"
    Say "[accept] hanging up: Cancel(0, ""bye"")"
    session.Cancel 0, "bye"
    CheckOk "[accept] Cancel(0, ""bye"")"
End Sub
Sub S_OnDeclined(data)
    LogEvent "OnDeclined(" & data & ")"
End Sub
Sub S_OnCancelled(data)
    LogEvent "OnCancelled(" & data & ")"
End Sub
Sub S_OnAppNotPresent(name, url)
    LogEvent "OnAppNotPresent(" & name & ", " & url & ")"
End Sub
Sub S_OnReadyToLaunch()
    LogEvent "OnReadyToLaunch"
End Sub
Sub S_OnSendError(hr)
    LogEvent "OnSendError(" & Hex(hr) & ")"
End Sub
Sub S_BeforeAppLaunch(enable)
    LogEvent "BeforeAppLaunch(" & enable & ")"
End Sub
Sub S_OnTermination(hr, data)
    Dim name
    name = PhaseName()
    LogEvent "OnTermination(" & Hex(hr) & ", " & data & ")"
    CheckEq TypeName(hr), "Long", "[" & name & "] OnTermination's hr is a Long"
    CheckEq log, Expected(name), "[" & name & "] alice's events"
    On Error Resume Next
    session.Cancel 0, ""
    CheckErr SR_SESSION_STATE_INVALID, "[" & name & "] Cancel after the end"
    On Error GoTo 0
    ' Over a network a new invitation may overtake the last messages of the session before it
    ' (another dialog, another path through a proxy): give bob a moment to see this one end.
    If PEER_GIVEN Then WScript.Sleep 500
    NextPhase
End Sub

Sub Finish()
    Dim s
    ' Only alice's own: bob's registrations and Lock & Key are his.
    CheckEq managerLog, "OnAppRegistered(" & APP & ") OnLockEnable(True)", "alice's manager events"
    Say checks & " checks, fails=" & fails
    ' Tell bob: he ends the run.
    Set s = mgr.CreateSession()
    s.Application = APP
    InviteBob s, "done: that was all"
    If PEER_GIVEN Then          ' no one else ends this process: give the invitation time to leave
        WScript.Sleep 1500
        WScript.Quit 0
    End If
End Sub
