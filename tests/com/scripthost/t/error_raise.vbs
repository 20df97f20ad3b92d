' Err.Raise with a source and a description: both are printed, with 0x800a04d2 (error 1234).
WScript.Echo "scripthost-ok before-raise"
Err.Raise 1234, "scripthost-test", "boom description"
WScript.Echo "after-raise"
