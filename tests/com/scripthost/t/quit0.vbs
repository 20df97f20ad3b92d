WScript.Echo "scripthost-ok quit0"
WScript.Quit 0
