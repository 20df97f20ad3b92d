' Run as: two_a.vbs two_b.js.  Two engines in one thread, each with its own source and prefix;
' each engine's handlers get its own events.  Its events come first (posted first).
Dim src
Set src = WScript.CreateObject("ScriptHost.TestSource", "A_")
src.Fire "from a", 1

Sub A_OnSomething(text, number, handled)
    If text <> "from a" Then WScript.Echo "not ok: A got " & text
    handled = True
End Sub

Sub A_OnAfter(handled, count)
    WScript.Echo "A_OnAfter", handled
End Sub
