' members.vbs: every member of IMsgrSessionManager and IMsgrSession, called from VBScript through
' IDispatch, as a VBScript application calls them.  It runs under Wine's own cscript (no events
' there: see the event tests next to it), for the DLL of the host's bitness:
'     /usr/lib/wine/wine64 cscript.exe //nologo members.vbs      (x86_64)
'     wine cscript.exe //nologo members.vbs                      (i686)
' MSGSC_IDENTITY must be unset: the script picks its users through HKCU\Software\msgsc\Identity,
' the second way msgsc learns who the user is (docs/usage.md, "Who you are").
'
' Every check prints "ok N - ..." or "not ok N - ...".  Failures compare Err.Number with the exact
' HRESULT (a signed Long: &H81000614 is negative) and require a non-empty Err.Description.  Wine's
' cscript swallows script errors (a runtime error just ends the script with exit code 0), and
' "On Error Resume Next" skips a whole statement that fails, so the script counts its checks
' against a plan.  The last line is "members.vbs: N checks, fails=F"; the test passes on fails=0.
Option Explicit
On Error Resume Next

Const PLAN = 87

Const E_FAIL = &H80004005
Const E_NOTIMPL = &H80004001
Const E_INVALIDARG = &H80070057
Const E_OUTOFMEMORY = &H8007000E
Const MSGR_E_NOT_LOGGED_ON = &H8100031E
Const SR_SESSION_NOT_READY = &H81000605
Const SR_NOT_INVITEE = &H8100060B
Const SR_APP_ALREADY_REGISTERED = &H8100060D
Const SR_APP_NOT_REGISTERED = &H8100060E
Const SR_APP_NOT_SPECIFIED = &H81000610
Const SR_CONTEXT_DATA_OVER_LIMIT = &H81000611
Const SR_NO_USER_INVITED = &H81000612
Const SR_INVITED_SELF = &H81000613
Const SR_SESSION_STATE_INVALID = &H81000614
Const SS_READY = 1, SS_INVITATION = 2, SS_CANCELLED = 5
Const SF_INVITER = 1

' An application GUID of this test's own (applications are registered machine-wide).
Const APP = "{6D5C0B01-7E57-4A11-9C0D-00000000B5B1}"
Const APP_LOWER = "{6d5c0b01-7e57-4a11-9c0d-00000000b5b1}"
Const APP_NAME = "members.vbs test app"
Const APP_URL = "http://example.org/members-vbs"
Const ALICE = "alice.vbs@example.org"
Const BOB = "bob.vbs@example.org"

Dim checks, fails
checks = 0
fails = 0

Sub Report(cond, what)
    checks = checks + 1
    If cond Then
        WScript.Echo "ok " & checks & " - " & what
    Else
        fails = fails + 1
        WScript.Echo "not ok " & checks & " - " & what
    End If
End Sub

' The statement just before failed with hr and a description; clears Err.
Sub CheckErr(hr, what)
    Dim n, d
    n = Err.Number
    d = Err.Description
    Err.Clear
    If n = hr And Len(d) > 0 Then
        Report True, what & " -> " & Hex(hr) & " (" & d & ")"
    Else
        Report False, what & ": got " & Hex(n) & " [" & d & "], want " & Hex(hr) & " with a description"
    End If
End Sub

' The statement just before succeeded; clears Err.
Sub CheckOk(what)
    Dim n, d
    n = Err.Number
    d = Err.Description
    Err.Clear
    Report n = 0, what & IIf(n = 0, "", ": failed with " & Hex(n) & " [" & d & "]")
End Sub

Sub CheckEq(got, want, what)
    Dim n
    n = Err.Number
    Err.Clear
    Report n = 0 And got = want, what & " = " & got & IIf(got = want And n = 0, "", ", want " & want & _
        IIf(n = 0, "", " (error " & Hex(n) & ")"))
End Sub

Function IIf(cond, a, b)
    If cond Then IIf = a Else IIf = b
End Function

' A contact, as docs/usage.md shows it: any object with a SigninName property.
Class Contact
    Public SigninName
End Class

Class Nameless
    Public FriendlyName
End Class

Function NewContact(name)
    Dim c
    Set c = New Contact
    c.SigninName = name
    Set NewContact = c
End Function

' Wine 8's VBScript class objects answer only IDispatchEx::GetDispID (IDispatch::GetIDsOfNames is
' a stub); msgsc asks both, so they work as contacts as on Windows.  Wine 8's VBScript has no ChrW:
' text beyond ASCII comes from JScript through the ScriptControl.
Dim jscript, notedChrW

Function Js(expression)
    If IsEmpty(jscript) Then
        Set jscript = CreateObject("MSScriptControl.ScriptControl")
        jscript.Language = "JScript"
    End If
    If IsObject(jscript.Eval(expression)) Then
        Set Js = jscript.Eval(expression)
    Else
        Js = jscript.Eval(expression)
    End If
End Function

Function Person(name)
    Set Person = NewContact(name)
End Function

' n copies of the UTF-16 code unit u (ChrW, or JScript where Wine's VBScript lacks ChrW).
Function Repeat(n, u)
    Dim c, k
    On Error Resume Next
    c = ChrW(u)
    If Err.Number <> 0 Then
        Err.Clear
        If Not notedChrW Then
            WScript.Echo "# Wine's VBScript has no ChrW: non-ASCII text comes from JScript (ScriptControl)"
            notedChrW = True
        End If
        Repeat = Js("new Array(" & (n + 1) & ").join(String.fromCharCode(" & (u And &HFFFF&) & "))")
        Exit Function
    End If
    Repeat = ""
    For k = 1 To n
        Repeat = Repeat & c
    Next
End Function

' ---- users: HKCU\Software\msgsc\Identity, read when a manager is created -----------------------
Dim shell, oldIdentity, hadIdentity
Set shell = CreateObject("WScript.Shell")
Err.Clear
oldIdentity = shell.RegRead("HKCU\Software\msgsc\Identity")
hadIdentity = (Err.Number = 0)
Err.Clear

Dim mgr, bobMgr, selfMgr, s, s2, other, v, big, i, user
shell.RegWrite "HKCU\Software\msgsc\Identity", BOB, "REG_SZ"
Set bobMgr = CreateObject("MessengerPrivate.MsgrSessionManager")
shell.RegWrite "HKCU\Software\msgsc\Identity", ALICE, "REG_SZ"
Set mgr = CreateObject("MessengerPrivate.MsgrSessionManager")
' An empty value counts as none: the user is then %USERNAME%@localhost.
shell.RegWrite "HKCU\Software\msgsc\Identity", "", "REG_SZ"
Set selfMgr = CreateObject("MessengerPrivate.MsgrSessionManager")
CheckOk "CreateObject(""MessengerPrivate.MsgrSessionManager"") for three users"
' As it was (Wine's WScript.Shell cannot RegDelete: an empty value stands for none).  The
' statements above run on whatever fails, so this one always runs.
If hadIdentity Then
    shell.RegWrite "HKCU\Software\msgsc\Identity", oldIdentity, "REG_SZ"
End If
Err.Clear

' ---- IMsgrSessionManager -------------------------------------------------------------------------
Set s = mgr.CreateSession()
CheckOk "CreateSession"
Report IsObject(s), "CreateSession returns an object"
Set other = Nothing
Set other = mgr.GetLaunchingSession(1234)
CheckErr E_FAIL, "GetLaunchingSession(1234)"
Set other = mgr.Applications
CheckErr E_NOTIMPL, "Applications"

mgr.UnRegisterApplication APP     ' left over from an interrupted run
Err.Clear
mgr.RegisterApplication APP, APP_NAME, APP_URL, "C:\apps\members.exe", 1
CheckErr E_INVALIDARG, "RegisterApplication with ulFlags 1"
mgr.RegisterApplication "not a guid", APP_NAME, APP_URL, "C:\apps\members.exe", 0
CheckErr E_INVALIDARG, "RegisterApplication(""not a guid"")"
mgr.RegisterApplication APP, "", APP_URL, "C:\apps\members.exe", 0
CheckErr E_INVALIDARG, "RegisterApplication with an empty name"
mgr.RegisterApplication APP, String(257, "n"), APP_URL, "C:\apps\members.exe", 0
CheckErr E_INVALIDARG, "RegisterApplication with a 257-character name"
mgr.RegisterApplication APP, APP_NAME, APP_URL, "", 0
CheckErr E_INVALIDARG, "RegisterApplication with an empty path"
mgr.RegisterApplication APP, APP_NAME, APP_URL, "C:\apps\members.exe", 0
CheckOk "RegisterApplication"
mgr.RegisterApplication APP, APP_NAME, APP_URL, "C:\apps\members.exe", 0
CheckErr SR_APP_ALREADY_REGISTERED, "RegisterApplication again"
mgr.UnRegisterApplication "{nope}"
CheckErr E_INVALIDARG, "UnRegisterApplication(""{nope}"")"

' ---- IMsgrSession: a new session -----------------------------------------------------------------
CheckEq s.State, SS_READY, "State of a new session"
CheckEq s.Flags, 0, "Flags of a new session"
v = s.SessionID
Dim re
Set re = New RegExp
re.Pattern = "^\{[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\}$"
Report re.Test(v), "SessionID " & v & " is a braced upper-case version-4 GUID"
Set s2 = mgr.CreateSession()
Report s2.SessionID <> v, "a second session has another SessionID"
v = s.Application
CheckErr SR_APP_NOT_SPECIFIED, "Application before it is set"
v = s
CheckErr SR_APP_NOT_SPECIFIED, "the default property (Application) before it is set"
v = s.ApplicationName
CheckErr SR_APP_NOT_SPECIFIED, "ApplicationName before Application is set"
v = s.ApplicationURL
CheckErr SR_APP_NOT_SPECIFIED, "ApplicationURL before Application is set"
Set user = s.User
CheckErr SR_NO_USER_INVITED, "User before Invite"
CheckEq s.RemoteAddress, "", "RemoteAddress before anything arrived"
CheckEq s.ContextData, "", "ContextData before anything arrived"
CheckEq s.LocalAddress, "127.0.0.1", "LocalAddress by default"

' Application
s.Application = "{nope}"
CheckErr E_INVALIDARG, "Application = ""{nope}"""
s.Application = APP & "XX"
CheckErr E_OUTOFMEMORY, "Application = a 40-character string"
s.Application = "{00000000-0000-0000-0000-0000000000AA}"
CheckErr SR_APP_NOT_REGISTERED, "Application = an unregistered GUID"
s.Application = APP_LOWER
CheckOk "Application = the registered GUID in lower case"
CheckEq s.Application, APP, "Application"
CheckEq s, APP, "the default property"
CheckEq s.ApplicationName, APP_NAME, "ApplicationName"
CheckEq s.ApplicationURL, APP_URL, "ApplicationURL"

' LocalAddress: 30 characters at most
s.LocalAddress = String(31, "1")
CheckErr E_OUTOFMEMORY, "LocalAddress = 31 characters"
CheckEq s.LocalAddress, "127.0.0.1", "LocalAddress after the refusal"
s.LocalAddress = String(30, "2")
CheckOk "LocalAddress = 30 characters"
s.LocalAddress = "192.168.7.7"
CheckOk "LocalAddress = ""192.168.7.7"""
CheckEq s.LocalAddress, "192.168.7.7", "LocalAddress"

' calls in the wrong state
s.Accept "yes"
CheckErr SR_SESSION_STATE_INVALID, "Accept in SS_READY"
s.Decline "no"
CheckErr SR_SESSION_STATE_INVALID, "Decline in SS_READY"
s.Cancel 0, "stop"
CheckErr SR_SESSION_STATE_INVALID, "Cancel in SS_READY"
s.SendContextData "data"
CheckErr SR_SESSION_STATE_INVALID, "SendContextData in SS_READY"

' Invite: who
s.Invite Nothing, "hello"
CheckErr E_INVALIDARG, "Invite(Nothing)"
s.Invite New Nameless, "hello"
CheckErr E_INVALIDARG, "Invite(an object without SigninName)"
s.Invite CreateObject("Scripting.Dictionary"), "hello"
CheckErr E_INVALIDARG, "Invite(a Scripting.Dictionary)"
' A VBScript Class contact (see Person above).
s.Invite NewContact("nobody@example.org"), "hello"
CheckErr MSGR_E_NOT_LOGGED_ON, "Invite(a VBScript Class contact for nobody@example.org)"
s.Invite Js("({ FriendlyName: 'x' })"), "hello"
CheckErr E_INVALIDARG, "Invite(a JScript object without SigninName)"
s.Invite Person(""), "hello"
CheckErr E_INVALIDARG, "Invite(SigninName = """")"
s.Invite Person(String(130, "u") & "@x"), "hello"
CheckErr E_INVALIDARG, "Invite(a 132-character SigninName)"
s.Invite Person(UCase(ALICE)), "hello"
CheckErr SR_INVITED_SELF, "Invite(yourself, in upper case)"
s.Invite Person("nobody@example.org"), "hello"
CheckErr MSGR_E_NOT_LOGGED_ON, "Invite(a user who is not logged on)"
' Invite: what (512 bytes as UTF-8 at most)
s.Invite Person("nobody@example.org"), String(513, "x")
CheckErr SR_CONTEXT_DATA_OVER_LIMIT, "Invite with 513 bytes of data"
s.Invite Person("nobody@example.org"), Repeat(171, &H20AC)
CheckErr SR_CONTEXT_DATA_OVER_LIMIT, "Invite with 171 euro signs (513 bytes as UTF-8)"
s.Invite Person("nobody@example.org"), Repeat(170, &H20AC)
CheckErr MSGR_E_NOT_LOGGED_ON, "Invite with 170 euro signs (510 bytes) gets past the limit"
s.Invite Person("nobody@example.org"), String(512, "x")
CheckErr MSGR_E_NOT_LOGGED_ON, "Invite with 512 bytes gets past the limit"
s.Invite Person("nobody@example.org"), "bad " & Repeat(1, &HD800) & " text"
CheckErr E_INVALIDARG, "Invite with an unpaired surrogate"
' refused calls changed nothing
CheckEq s.State, SS_READY, "State after the refused calls"
Set user = s.User
CheckErr SR_NO_USER_INVITED, "User after the refused calls"

' The user with no configured identity is %USERNAME%@localhost.
Dim selfSession, userName
userName = CreateObject("WScript.Network").UserName
Set selfSession = selfMgr.CreateSession()
selfSession.Application = APP
CheckOk "Application on a session of the third manager"
selfSession.Invite Person(userName & "@localhost"), ""
CheckErr SR_INVITED_SELF, "an empty Identity value means " & userName & "@localhost: inviting that"
selfSession.Invite Person(ALICE), ""
CheckOk "%USERNAME%@localhost invites " & ALICE
CheckEq selfSession.State, SS_INVITATION, "State after that Invite"
selfSession.Cancel 0, ""
CheckOk "Cancel it"

' ---- an invitation on its way (bob's manager is on this thread, so bob is online) ----------------
s.Invite Person(BOB), "hello bob"
CheckOk "Invite(bob, ""hello bob"")"
CheckEq s.State, SS_INVITATION, "State after Invite"
CheckEq s.Flags, SF_INVITER, "Flags after Invite"
Set user = s.User
CheckOk "User after Invite"
CheckEq user.SigninName, BOB, "User.SigninName"
CheckEq user.FriendlyName, BOB, "User.FriendlyName"
CheckEq user.IsSelf, False, "User.IsSelf"
CheckEq user.Status, 0, "User.Status (MISTATUS_UNKNOWN)"
CheckEq user.ServiceName, "msgsc", "User.ServiceName"
s.Application = APP
CheckErr SR_SESSION_NOT_READY, "Application = ... after Invite"
s.Invite Person(BOB), "again"
CheckErr SR_SESSION_NOT_READY, "Invite again"
s.LocalAddress = "10.0.0.1"
CheckErr SR_SESSION_STATE_INVALID, "LocalAddress = ... on an inviter in SS_INVITATION"
s.Accept "yes"
CheckErr SR_NOT_INVITEE, "Accept by the inviter"
s.Decline "no"
CheckErr SR_NOT_INVITEE, "Decline by the inviter"
s.SendContextData "data"
CheckErr SR_SESSION_STATE_INVALID, "SendContextData in SS_INVITATION"
s.Cancel 0, String(513, "x")
CheckErr SR_CONTEXT_DATA_OVER_LIMIT, "Cancel with 513 bytes of data"
s.Cancel 0, "changed my mind"
CheckOk "Cancel(0, ""changed my mind"")"
CheckEq s.State, SS_CANCELLED, "State after Cancel"
s.Cancel 0, "again"
CheckErr SR_SESSION_STATE_INVALID, "Cancel again"
CheckEq s.SessionID <> "", True, "SessionID still readable"

' ---- clean up ------------------------------------------------------------------------------------
mgr.UnRegisterApplication APP_LOWER
CheckOk "UnRegisterApplication (lower case)"
mgr.UnRegisterApplication APP
CheckErr SR_APP_NOT_REGISTERED, "UnRegisterApplication again"
s2.Application = APP
CheckErr SR_APP_NOT_REGISTERED, "Application = the unregistered GUID"
Set s = Nothing
Set s2 = Nothing
Set selfSession = Nothing
Set mgr = Nothing
Set bobMgr = Nothing
Set selfMgr = Nothing
CheckOk "releasing everything"

If checks <> PLAN Then
    fails = fails + 1
    WScript.Echo "not ok - ran " & checks & " checks, planned " & PLAN & _
        " (a statement that failed unexpectedly was skipped)"
End If
WScript.Echo "members.vbs: " & checks & " checks, fails=" & fails
WScript.Quit fails
