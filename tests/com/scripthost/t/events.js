// Events in JScript: same source as events.vbs.  JScript has no by-reference parameters, so
// the assignment to handled stays local and the source sees false.
var stage = 0;
var src = WScript.CreateObject("ScriptHost.TestSource", "T_");
src.Fire("hello", 42);
WScript.Echo("fired");
stage = 1;

function T_OnSomething(text, number, handled) {
    WScript.Echo("T_OnSomething", text, number, handled);
    if (stage != 1) WScript.Echo("not ok: event before the top-level code ended");
    if (typeof text != "string" || text != "hello") WScript.Echo("not ok: text");
    if (typeof number != "number" || number != 42) WScript.Echo("not ok: number");
    if (handled !== false) WScript.Echo("not ok: handled in");
    handled = true;
    stage = 2;
}

function T_OnAfter(handled, count) {
    WScript.Echo("T_OnAfter", handled, count);
    if (stage != 2) WScript.Echo("not ok: OnSomething did not run first");
    if (handled !== false) WScript.Echo("not ok: JScript wrote back");
    if (count != 1 || src.FireCount != 1) WScript.Echo("not ok: count");
    WScript.Echo("scripthost-ok events-js");
    WScript.Quit(0);
}
