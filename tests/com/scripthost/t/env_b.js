// Second script of the env test (see env_a.vbs); it ends the run.
var sh = WScript.CreateObject("WScript.Shell");
WScript.Echo("env_b SH_TEST_VALUE=" + sh.Environment("PROCESS").Item("SH_TEST_VALUE"));
if (WScript.ScriptName != "env_b.js")
    WScript.Echo("not ok: ScriptName " + WScript.ScriptName);
WScript.Echo("scripthost-ok env");
WScript.Quit(0);
