// A syntax error on line 3: nothing runs, exit code 2.
WScript.Echo("not printed");
var x = (1 + ;
