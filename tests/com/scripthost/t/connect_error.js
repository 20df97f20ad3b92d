// ConnectObject on an object without a default source interface (Scripting.Dictionary) is a
// script error (exit code 2).
var d = WScript.CreateObject("Scripting.Dictionary");
WScript.Echo("scripthost-ok before-connect");
WScript.ConnectObject(d, "D_");
WScript.Echo("after-connect");
