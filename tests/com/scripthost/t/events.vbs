' Events from the host's test source (--selftest-source): arguments in declared order with the
' right values, fired later from the message loop (after the top-level code), and the by-reference
' write-back: the handler sets handled = True and the source sees it (OnAfter, LastHandled).
Option Explicit
Dim src, stage
stage = 0
Set src = WScript.CreateObject("ScriptHost.TestSource", "T_")
src.Fire "hello", 42
WScript.Echo "fired"
stage = 1

Sub T_OnSomething(text, number, handled)
    WScript.Echo "T_OnSomething", text, number, handled
    If stage <> 1 Then WScript.Echo "not ok: event before the top-level code ended"
    If TypeName(text) <> "String" Or text <> "hello" Then WScript.Echo "not ok: text"
    If TypeName(number) <> "Long" Or number <> 42 Then WScript.Echo "not ok: number"
    If TypeName(handled) <> "Boolean" Or handled <> False Then WScript.Echo "not ok: handled in"
    handled = True
    stage = 2
End Sub

Sub T_OnAfter(handled, count)
    WScript.Echo "T_OnAfter", handled, count
    If stage <> 2 Then WScript.Echo "not ok: OnSomething did not run first"
    If handled <> True Then WScript.Echo "not ok: handled not written back"
    If src.LastHandled <> True Then WScript.Echo "not ok: LastHandled"
    If count <> 1 Or src.FireCount <> 1 Then WScript.Echo "not ok: count"
    WScript.Echo "scripthost-ok events-vbs"
    WScript.Quit 0
End Sub
