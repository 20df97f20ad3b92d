' CreateObject of an in-box object (Wine's scrrun).
Dim d
Set d = WScript.CreateObject("Scripting.Dictionary")
d.Add "a", 1
d.Add "b", 2
If d.Count <> 2 Then WScript.Echo "not ok: Count " & d.Count
If Not d.Exists("b") Then WScript.Echo "not ok: Exists"
If d("b") <> 2 Then WScript.Echo "not ok: Item"
WScript.Echo "scripthost-ok dictionary"
WScript.Quit 0
