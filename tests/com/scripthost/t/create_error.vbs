' CreateObject of an unknown ProgID is a script error (exit code 2) that names the ProgID.
WScript.Echo "scripthost-ok before-create"
Set o = WScript.CreateObject("ScriptHost.NoSuchObject")
WScript.Echo "after-create"
