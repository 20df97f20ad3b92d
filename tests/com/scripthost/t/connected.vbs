' Holds an event connection and never quits: the host pumps until the timeout (exit code 124).
Dim src
Set src = WScript.CreateObject("ScriptHost.TestSource", "T_")
WScript.Echo "scripthost-ok connected"
