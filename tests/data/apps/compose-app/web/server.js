require("http").createServer((q, s) => s.end("web\n")).listen(3000);
