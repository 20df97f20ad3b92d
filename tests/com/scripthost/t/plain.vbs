' A plain script: no events, no Quit.  Like cscript, the host exits (code 0) when it ends,
' unless --wait is given.
WScript.Echo "scripthost-ok plain"
