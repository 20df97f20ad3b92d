' A runtime error inside an event handler is reported and makes the exit code 2, even though a
' later handler calls Quit 0.
Dim src
Set src = WScript.CreateObject("ScriptHost.TestSource", "T_")
src.Fire "x", 0

Sub T_OnSomething(text, number, handled)
    Dim zero
    WScript.Echo "scripthost-ok handler-error"
    zero = 0
    zero = 1 / zero
    WScript.Echo "after-bad-line"
End Sub

Sub T_OnAfter(handled, count)
    WScript.Echo "scripthost-ok after-handler-error"
    WScript.Quit 0
End Sub
