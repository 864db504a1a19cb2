// The process backend bench/alb.sh puts behind a listener (through cutover's --app-config): a
// minimal keep-alive HTTP server on 127.0.0.1:$PORT answering every request with a short JSON body.
// It writes its pid to $BENCH_PID_FILE so the benchmark can read its CPU time from /proc, and
// answers GET /_bench/stats with the connections it has accepted and the requests it has answered
// (so the benchmark can show how many connections the listener's pool opened).
const http = require('http');
if (process.env.BENCH_PID_FILE) require('fs').writeFileSync(process.env.BENCH_PID_FILE, String(process.pid));
const body = Buffer.from(JSON.stringify({ ok: true, app: 'bench-process', pid: process.pid }));
let connections = 0, requests = 0;
const server = http.createServer((req, res) => {
  req.resume();
  requests++;
  if (req.url === '/_bench/stats') {
    const stats = JSON.stringify({ connections, requests });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(stats) });
    return res.end(stats);
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.on('connection', () => connections++);
server.keepAliveTimeout = 60000;
server.headersTimeout = 65000;
server.listen(Number(process.env.PORT), '127.0.0.1');
