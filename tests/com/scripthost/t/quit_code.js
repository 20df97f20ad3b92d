// WScript.Quit(code) is the exit code; nothing after it runs.
WScript.Echo("scripthost-ok quit-code");
WScript.Quit(7);
WScript.Echo("after-quit");
