import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { statusTitle } from '../errors/problem.js';

/**
 * Requests Node's HTTP parser refuses before Express sees them (headers over 16 KiB, malformed
 * request lines) get the service's one error body too, instead of Node's bare 400/431.
 */
export function answerClientErrorsWithProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      type: 'about:blank',
      title: statusTitle(status),
      status,
      detail:
        status === 431
          ? 'Request headers are too large'
          : 'The request could not be parsed as HTTP/1.1',
    });
    socket.end(
      `HTTP/1.1 ${status} ${statusTitle(status)}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
