' Sleep waits about the time asked for (it pumps messages meanwhile).
Dim t0, elapsed
t0 = Timer
WScript.Sleep 300
elapsed = Timer - t0
If elapsed < 0 Then elapsed = elapsed + 86400
If elapsed < 0.25 Or elapsed > 10 Then WScript.Echo "not ok: slept " & elapsed & " s"
WScript.Sleep 0
WScript.Echo "scripthost-ok sleep"
WScript.Quit 0
