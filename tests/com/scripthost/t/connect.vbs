' ConnectObject / DisconnectObject, events delivered during Sleep, and a missing handler
' (S_OnAfter) silently skipped.
Option Explicit
Dim src, calls
calls = 0
Set src = WScript.CreateObject("ScriptHost.TestSource")
If src.Connections <> 0 Then WScript.Echo "not ok: connected without a prefix"
WScript.ConnectObject src, "S_"
If src.Connections <> 1 Then WScript.Echo "not ok: ConnectObject did not advise"
src.Fire "one", 1
If calls <> 0 Then WScript.Echo "not ok: event fired synchronously"
WScript.Sleep 300
If calls <> 1 Then WScript.Echo "not ok: no event during Sleep (" & calls & ")"
WScript.DisconnectObject src
If src.Connections <> 0 Then WScript.Echo "not ok: DisconnectObject did not unadvise"
src.Fire "two", 2
WScript.Sleep 300
If src.FireCount <> 2 Then WScript.Echo "not ok: the source did not fire twice"
If calls <> 1 Then WScript.Echo "not ok: event after DisconnectObject"
WScript.Echo "scripthost-ok connect"
WScript.Quit 0

Sub S_OnSomething(text, number, handled)
    calls = calls + 1
    If text <> "one" Or number <> 1 Then WScript.Echo "not ok: arguments " & text & " " & number
End Sub
