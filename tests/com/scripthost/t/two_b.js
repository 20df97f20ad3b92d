// Second script of two_a.vbs; it ends the run.
var src = WScript.CreateObject("ScriptHost.TestSource", "B_");
src.Fire("from b", 2);

function B_OnSomething(text, number, handled) {
    if (text != "from b" || number != 2) WScript.Echo("not ok: B got " + text);
}

function B_OnAfter(handled, count) {
    WScript.Echo("B_OnAfter", handled);
    WScript.Echo("scripthost-ok two-engines");
    WScript.Quit(0);
}
