' Echo joins its arguments with spaces; an Echo without arguments prints an empty line;
' ScriptName; Quit 0 ends the run and nothing after it runs.
WScript.Echo "echo:", 1, True, "x"
WScript.Echo
WScript.Echo "name=" & WScript.ScriptName
WScript.Echo "scripthost-ok echo"
WScript.Quit 0
WScript.Echo "after-quit"
