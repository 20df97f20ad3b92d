' Run as: --env SH_TEST_VALUE=one env_a.vbs --env SH_TEST_VALUE=two env_b.js
' Each script sees its own setting in the process environment.  (Not through
' WshShell.ExpandEnvironmentStrings: Wine 8's returns the string with its terminating NUL.)
Dim sh
Set sh = WScript.CreateObject("WScript.Shell")
WScript.Echo "env_a SH_TEST_VALUE=" & sh.Environment("PROCESS")("SH_TEST_VALUE")
