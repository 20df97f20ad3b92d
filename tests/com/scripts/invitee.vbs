' invitee.vbs: bob's side of the event tests (docs/design.md §2-§3), in VBScript.  It runs in
' msgsc-scripthost after an inviter script (inviter.js or inviter.vbs), in one thread, over msgsc's
' loopback transport:
'     msgsc-scripthost --env MSGSC_IDENTITY=alice@example.org inviter.js \
'                      --env MSGSC_IDENTITY=bob@example.org invitee.vbs
' The invitation data starts with the phase name (see inviter.js): accept, decline, cancel or
' timeout.  cancel and timeout are last; then alice, done, sends "done: ...".  Once bob has both
' (in either order), he unregisters alice's application (so the machine is as it was), checks
' his totals and ends the run with WScript.Quit 0.
'
' Bob has two managers, as two applications of one user would.  An invitation is offered to each
' in turn until one sets pfHandled; both handlers here set it (VBScript writes through the
' by-reference argument), so exactly one of them sees each invitation.
' Checks print "ok N - ..." / "not ok N - ..."; the last line is "invitee.vbs: N checks, fails=F".
Option Explicit

Const ME_ = "invitee.vbs"
Const APP = "{6D5C0B01-7E57-4A11-9C0D-00000000E0E1}"      ' the inviter registers it
Const BOB_APP = "{6D5C0B01-7E57-4A11-9C0D-00000000E0E2}"  ' bob's own, for the app events
Dim ALICE               ' two_processes.sh runs alice in a process of her own, at MSGSC_TEST_PEER
ALICE = CreateObject("WScript.Shell").ExpandEnvironmentStrings("%MSGSC_TEST_PEER%")
If InStr(ALICE, Chr(0)) > 0 Then ALICE = Left(ALICE, InStr(ALICE, Chr(0)) - 1)   ' Wine counts the NUL
If ALICE = "%MSGSC_TEST_PEER%" Or ALICE = "" Then ALICE = "alice@example.org"
Const SR_NOT_INVITER = &H8100060C
Const SR_SESSION_STATE_INVALID = &H81000614
Const SR_CONTEXT_DATA_OVER_LIMIT = &H81000611
Const SS_INVITATION = 2, SS_CONNECTED = 4
Const SF_INVITEE = 2

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

' What bob's session sees in each phase, in order (docs/design.md §2, "Every edge").  Bob
' connects to the session inside OnInvitation, so his log starts with his answer.
Function Expected(phase)
    Select Case phase
    Case "accept"
        Expected = "OnStateChanged(2)->3 OnStateChanged(3)->4 OnContextData(alice-ctx-1) " & _
            "OnContextData(alice-ctx-2) OnContextData(alice-ctx-3) OnContextData(alice-ctx-4) " & _
            "OnContextData(alice-ctx-5) OnStateChanged(4)->7 OnTermination(81000607, bye)"
    Case "decline"
        Expected = "OnStateChanged(2)->6 OnTermination(81000602, busy)"
    Case "cancel"
        ' Cancel's hr travels: a failure code reaches the invitee's OnTermination.
        Expected = "OnStateChanged(2)->5 OnCancelled(could not start) OnTermination(81000601, could not start)"
    Case "timeout"
        Expected = "OnStateChanged(2)->7 OnTermination(81000609, )"
    Case Else
        Expected = "(unknown phase " & phase & ")"
    End Select
End Function

Dim session, phase, log, managerLog, invitations, lockEnables, mgr, mgr2, aliceDone, lastEnded
Set session = Nothing
phase = ""
log = ""
managerLog = ""
invitations = 0
lockEnables = 0

Sub LogEvent(text)
    Say "[" & phase & "] " & text
    If session Is Nothing Then Report False, "an event with no session in progress: " & text
    log = Trim(log & " " & text)
End Sub

' ---- the managers ----------------------------------------------------------------------------------
Set mgr = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_")
Set mgr2 = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "N_")

Sub M_OnLockEnable(enabled)
    lockEnables = lockEnables + 1
    Say "OnLockEnable(" & enabled & ") on manager M"
    CheckEq TypeName(enabled) & " " & enabled, "Boolean True", "OnLockEnable's argument"
End Sub
Sub N_OnLockEnable(enabled)
    lockEnables = lockEnables + 1
    Say "OnLockEnable(" & enabled & ") on manager N"
End Sub
Sub M_OnAppRegistered(guid)
    managerLog = Trim(managerLog & " M.OnAppRegistered(" & guid & ")")
End Sub
Sub N_OnAppRegistered(guid)
    managerLog = Trim(managerLog & " N.OnAppRegistered(" & guid & ")")
End Sub
Sub M_OnAppUnRegistered(guid)
    managerLog = Trim(managerLog & " M.OnAppUnRegistered(" & guid & ")")
End Sub
Sub N_OnAppUnRegistered(guid)
    managerLog = Trim(managerLog & " N.OnAppUnRegistered(" & guid & ")")
End Sub
Sub M_OnInvitation(s, data, handled)
    Invitation "M", s, data, handled
End Sub
Sub N_OnInvitation(s, data, handled)
    Invitation "N", s, data, handled
End Sub

On Error Resume Next
mgr.UnRegisterApplication BOB_APP    ' left over from an interrupted run
Err.Clear
mgr.RegisterApplication BOB_APP, "Bob's app", "", "C:\bob.exe", 0
CheckOk "RegisterApplication(bob's app)"
mgr2.UnRegisterApplication BOB_APP
CheckOk "UnRegisterApplication(bob's app) through the other manager"
On Error GoTo 0
' Both of bob's managers heard both, during the calls (newest manager first).
CheckEq managerLog, "N.OnAppRegistered(" & BOB_APP & ") M.OnAppRegistered(" & BOB_APP & ") " & _
    "N.OnAppUnRegistered(" & BOB_APP & ") M.OnAppUnRegistered(" & BOB_APP & ")", "bob's manager events"
managerLog = ""

' ---- an invitation -----------------------------------------------------------------------------------
Sub Invitation(which, s, data, handled)
    Dim user, answer
    If Left(data, 5) = "done:" Then
        Say "alice is done (""" & data & """)"
        handled = True
        aliceDone = True
        If lastEnded Then Finish
        Exit Sub
    End If
    invitations = invitations + 1
    phase = Left(data, InStr(data & ":", ":") - 1)
    Say "[" & phase & "] OnInvitation on manager " & which & ": """ & data & """ from " & s.User.SigninName
    Report Not handled, "[" & phase & "] pfHandled comes in False"
    handled = True                      ' this application takes it: no other manager is asked
    ' Each manager's OnLockEnable was posted when bob connected, before alice invited: it comes first.
    Report lockEnables = 2, "[" & phase & "] both OnLockEnable came before OnInvitation"
    If Not (session Is Nothing) Then Report False, "[" & phase & "] an invitation while another is in progress"
    Set session = s
    log = ""
    WScript.ConnectObject session, "S_"
    CheckEq session.State, SS_INVITATION, "[" & phase & "] State"
    CheckEq session.Flags, SF_INVITEE, "[" & phase & "] Flags"
    CheckEq session.Application, APP, "[" & phase & "] Application"
    CheckEq session.ApplicationName, "Chess (event test)", "[" & phase & "] ApplicationName"
    CheckEq session.ContextData, data, "[" & phase & "] ContextData (the invitation's data)"
    CheckEq session.RemoteAddress, "10.0.0.1", "[" & phase & "] RemoteAddress (alice's LocalAddress)"
    CheckEq session.User.SigninName, ALICE, "[" & phase & "] User.SigninName"
    CheckEq session.User.IsSelf, False, "[" & phase & "] User.IsSelf"
    CheckEq Len(session.SessionID), 38, "[" & phase & "] SessionID length"

    On Error Resume Next
    Select Case phase
    Case "accept"
        session.Cancel 0, "no"
        CheckErr SR_NOT_INVITER, "[accept] Cancel by the invitee (it must Decline)"
        session.SendContextData "early"
        CheckErr SR_SESSION_STATE_INVALID, "[accept] SendContextData in SS_INVITATION"
        session.Accept String(513, "w")
        CheckErr SR_CONTEXT_DATA_OVER_LIMIT, "[accept] Accept with 513 bytes"
        session.LocalAddress = "10.0.0.2"
        CheckOk "[accept] LocalAddress = ""10.0.0.2"" before Accept"
        Say "[accept] accepting with ""welcome"""
        session.Accept "welcome"
        CheckOk "[accept] Accept(""welcome"")"
        ' While an event is delivered, State reads as of the change that event reports (design.md
        ' §3): SS_INVITATION here; OnStateChanged(2) then reports the move to SS_ACCEPTED.
        CheckEq session.State, SS_INVITATION, "[accept] State after Accept, inside OnInvitation"
        session.Accept "again"
        CheckErr SR_SESSION_STATE_INVALID, "[accept] Accept again"
        session.Decline "no"
        CheckErr SR_SESSION_STATE_INVALID, "[accept] Decline after Accept"
    Case "decline"
        Say "[decline] declining with ""busy"""
        session.Decline "busy"
        CheckOk "[decline] Decline(""busy"")"
        CheckEq session.State, SS_INVITATION, "[decline] State after Decline, inside OnInvitation"
    Case Else
        Say "[" & phase & "] letting it ring"
    End Select
End Sub

' ---- the session's events -----------------------------------------------------------------------------
Sub S_OnStateChanged(prev)
    Dim now
    now = session.State
    LogEvent "OnStateChanged(" & prev & ")->" & now
    If phase = "accept" And now = SS_CONNECTED Then
        CheckEq session.RemoteAddress, "10.0.0.1", "[accept] RemoteAddress when connected"
    End If
End Sub
Sub S_OnContextData(data)
    LogEvent "OnContextData(" & data & ")"
    CheckEq session.ContextData, data, "[" & phase & "] ContextData in OnContextData"
    If data = "alice-ctx-1" Then
        session.SendContextData "bob-ctx"
    End If
End Sub
Sub S_OnAccepted(data)
    LogEvent "OnAccepted(" & data & ")"
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
    LogEvent "OnTermination(" & Hex(hr) & ", " & data & ")"
    CheckEq TypeName(hr), "Long", "[" & phase & "] OnTermination's hr is a Long"
    CheckEq log, Expected(phase), "[" & phase & "] bob's events"
    WScript.DisconnectObject session
    Set session = Nothing
    If phase = "cancel" Or phase = "timeout" Then
        lastEnded = True
        If aliceDone Then Finish
    End If
End Sub

Sub Finish()
    ' One manager took each invitation; alice's application events were not bob's.
    CheckEq managerLog, "", "bob's manager events during the run"
    On Error Resume Next
    mgr.UnRegisterApplication APP
    CheckOk "UnRegisterApplication(alice's app)"
    On Error GoTo 0
    CheckEq managerLog, "N.OnAppUnRegistered(" & APP & ") M.OnAppUnRegistered(" & APP & ")", _
        "bob's manager events after that"
    CheckEq lockEnables, 2, "OnLockEnable(True) once per manager"
    Say checks & " checks, fails=" & fails
    WScript.Quit 0
End Sub
