'use strict';
// Fan-out peer on uWebSockets.js (the `uwebsockets` npm package): accepts
// WebSocket connections on any path of 127.0.0.1:PORT, subscribes each to
// one topic, and publishes the body of every POST /publish on the same port
// to that topic with app.publish.
// Usage: node uws_server.js PORT

const uWS = require('uwebsockets');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`uws_server: invalid port '${process.argv[2]}': expected 1-65535`);
  process.exit(2);
}

const topic = 'alerts';
const app = uWS.App();

app.ws('/*', {
  compression: uWS.DISABLED,
  maxPayloadLength: 16 * 1024,
  // 0 turns off the idle timeout and the automatic pings that come with it,
  // so this server, like ws_server.js, sends no pings during a run.
  idleTimeout: 0,
  open: (ws) => ws.subscribe(topic),
});

app.post('/publish', (res) => {
  const chunks = [];
  res.onAborted(() => {
    res.aborted = true;
  });
  res.onData((chunk, isLast) => {
    // uWS reuses the chunk memory after the callback returns, so copy it.
    chunks.push(Buffer.from(chunk.slice(0)));
    if (!isLast) return;
    app.publish(topic, Buffer.concat(chunks), false);
    if (!res.aborted) {
      res.cork(() => res.writeStatus('200 OK').end('ok'));
    }
  });
});

app.any('/*', (res) => {
  res.writeStatus('404 Not Found').end();
});

app.listen('127.0.0.1', port, (listenSocket) => {
  if (!listenSocket) {
    console.error(`uws_server: cannot listen on 127.0.0.1:${port}`);
    process.exit(1);
  }
  console.error(`uws_server: listening on 127.0.0.1:${port}`);
});
