' A runtime error (division by zero, 0x800a000b) on line 5: reported, exit code 2.
WScript.Echo "scripthost-ok before-error"
Dim x
x = 0
x = 1 / x
WScript.Echo "after-error"
WScript.Quit 0
