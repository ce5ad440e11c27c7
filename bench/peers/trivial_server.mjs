// The driver's ceiling: an HTTP server that does nothing but answer 200 "ok" (keep-alive).
import http from 'node:http';
const port = Number(process.argv[2] || 3001);
http.createServer((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }); res.end('ok'); })
  .listen(port, '127.0.0.1');
