// `npm start` runs this before it builds: a second start while one runs must stop here, in one
// line, and never rebuild dist/ under the running server. Plain Node.js (type stripping), no build.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

if (existsSync('.env')) process.loadEnvFile('.env'); // as the service does: the environment wins
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

// A PORT the service would refuse is left to its configuration check, which names the variable.
if (Number.isInteger(port) && port > 0 && port < 65536) {
  const probe = createServer();
  probe.once('error', (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === 'EADDRINUSE'
        ? `port ${port} is in use — is brms-api already running? set PORT`
        : `cannot listen on ${host}:${port}: ${error.message}`,
    );
    process.exit(1);
  });
  probe.listen(port, host, () => probe.close());
}
