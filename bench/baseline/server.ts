/**
 * The baseline of the invite-throughput scenario: the handler of invite-handler.ts served by
 * `node:http` alone. GET /ready answers the bench's readiness probe.
 */
import { createServer } from 'node:http';
import { answerError, close, config, invite } from './invite-handler.js';

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/ready') {
    res.writeHead(200).end('ok');
    return;
  }
  if (req.method !== 'POST' || req.url !== '/api/users') {
    res.writeHead(404).end();
    return;
  }
  invite(req, res).catch((error: unknown) => answerError(res, error));
});

server.listen(config.http.port, config.http.host);
const stop = () => {
  server.close();
  void close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
