' WScript.Quit 5 inside an event handler, while the top-level code sleeps: the exit code is 5,
' and nothing runs after it (not the rest of the handler, not the next event's handler, not the
' code after Sleep).
Dim src
Set src = WScript.CreateObject("ScriptHost.TestSource", "T_")
src.Fire "x", 0
WScript.Sleep 5000
WScript.Echo "after-sleep"

Sub T_OnSomething(text, number, handled)
    WScript.Echo "scripthost-ok in-handler"
    WScript.Quit 5
    WScript.Echo "after-quit-in-handler"
End Sub

Sub T_OnAfter(handled, count)
    WScript.Echo "onafter-ran"
End Sub
