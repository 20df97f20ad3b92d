' A script that never returns and never pumps: the watchdog ends the process (exit code 124)
' two seconds after the timeout.
WScript.Echo "scripthost-ok hang"
Do
Loop
