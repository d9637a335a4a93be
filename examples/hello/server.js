// A tiny HTTP app: no dependencies, so it builds offline.
const http = require('http');

const port = Number(process.env.PORT || 3000);
const release = process.env.NEXTDEPLOY_RELEASE || 'dev';
const started = new Date().toISOString();

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html>
<title>hello from nextdeploy</title>
<h1>Hello from nextdeploy</h1>
<p>release <code>${release}</code>, started ${started}</p>
`);
});

server.listen(port, () => console.log(`listening on :${port} (release ${release})`));
// drain on SIGTERM so a zero-downtime switch never cuts a request
process.on('SIGTERM', () => server.close(() => process.exit(0)));
