' observer.vbs: a running application of bob's that sees every invitation (launch.sh,
' docs/agent.md).  It never sets pfHandled, so the agent goes on: for each invitation it keeps
' its copy of the session and hears BeforeAppLaunch, then OnReadyToLaunch, and OnTermination once
' the launched application took it.  For the invitation whose data is "veto" it answers
' BeforeAppLaunch with pfEnableDefault = False: the agent launches nothing and this application
' keeps the session, accepted.  It reports to the inviter through context data, then waits for
' alice to end the session and quits.  VBScript, because only VBScript can write pfEnableDefault.
Option Explicit
Dim m, sessions, logs, veto, readies, checks, fails
Set sessions = CreateObject("Scripting.Dictionary")
Set logs = CreateObject("Scripting.Dictionary")
readies = 0
checks = 0
fails = 0
Set m = WScript.CreateObject("MessengerPrivate.MsgrSessionManager", "M_")
WScript.Echo "observer.vbs: ready"

Sub Check(cond, what)
    checks = checks + 1
    If Not cond Then fails = fails + 1
    WScript.Echo IIf(cond, "ok ", "not ok ") & checks & " - observer.vbs: " & what
End Sub

Function IIf(c, a, b)
    If c Then IIf = a Else IIf = b
End Function

Sub M_OnInvitation(s, data, handled)
    ' not handled: the session stays ours to watch
    WScript.ConnectObject s, "S_"
    sessions.Add s.SessionID, s
    logs.Add s.SessionID, data & ":"
    If data = "veto" Then Set veto = s
End Sub

Sub Note(s, what)
    logs(s.SessionID) = logs(s.SessionID) & " " & what
End Sub

' The events carry no session: each copy is told apart by which one changes.
Sub S_BeforeAppLaunch(enable)
    Dim id
    For Each id In sessions.Keys
        If sessions(id).State = 2 Then
            Note sessions(id), "BeforeAppLaunch"
            If sessions(id).ContextData = "veto" Then enable = False
        End If
    Next
End Sub

Sub S_OnReadyToLaunch()
    readies = readies + 1
End Sub

Sub S_OnStateChanged(prev)
    If IsObject(veto) Then
        If veto.State = 3 And prev = 2 Then
            Check True, "the vetoed invitation is ours, accepted"
            Check readies >= 1, "OnReadyToLaunch came for the launched ones (" & readies & ")"
            veto.SendContextData "observer.vbs: " & checks & " checks, fails=" & fails
        End If
    End If
End Sub

Sub S_OnTermination(code, data)
    If IsObject(veto) Then
        If veto.State = 7 Then
            WScript.Echo "observer.vbs: " & checks & " checks, fails=" & fails
            WScript.Quit 0
        End If
    End If
End Sub
