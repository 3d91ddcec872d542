'use strict';
// Fan-out peer on the `ws` package: accepts WebSocket connections on any
// path of 127.0.0.1:PORT and sends the body of every POST /publish on the
// same port to each of them as one text message.
// Usage: node ws_server.js PORT

const http = require('node:http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`ws_server: invalid port '${process.argv[2]}': expected 1-65535`);
  process.exit(2);
}

const server = http.createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/publish') {
    response.writeHead(404).end();
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    for (const client of wss.clients) client.send(body, { binary: false });
    response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  });
});

// perMessageDeflate is off, as it is in the other two servers.
const wss = new WebSocketServer({ server, perMessageDeflate: false });

server.listen(port, '127.0.0.1', () => {
  console.error(`ws_server: listening on 127.0.0.1:${port} (ws ${require('ws/package.json').version})`);
});
