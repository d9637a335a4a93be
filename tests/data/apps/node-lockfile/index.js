const http = require("http");
const isNumber = require("is-number");
const port = Number(process.env.PORT || 3000);
http.createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end(`hello from node-lockfile is-number(7)=${isNumber(7)}\n`);
}).listen(port, () => console.log(`listening on ${port}`));
process.on("SIGTERM", () => process.exit(0));
