const http = require("http");
const port = Number(process.env.PORT || 3000);
http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end(`hello from node-nodeps uid=${process.getuid()}\n`);
}).listen(port, () => console.log(`listening on ${port}`));
process.on("SIGTERM", () => process.exit(0));
