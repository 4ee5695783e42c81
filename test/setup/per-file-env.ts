import { randomBytes } from 'node:crypto';
import { withDatabase } from './test-database.js';

// Runs before each test file's imports, so AppModule's configuration sees these values. Each file
// gets its own database name; test/kit/test-app.ts creates it from the migrated template.
const admin = process.env.TEST_ADMIN_DATABASE_URL;
if (!admin) throw new Error('TEST_ADMIN_DATABASE_URL missing: global setup did not run');
process.env.TEST_DATABASE_NAME = `brms_test_${randomBytes(6).toString('hex')}`;
process.env.DATABASE_URL = withDatabase(admin, process.env.TEST_DATABASE_NAME);
process.env.NODE_ENV = 'test';
process.env.DATABASE_RUN_MIGRATIONS = 'false';
process.env.INTERNAL_AUTH_SECRET ??= 'test-secret-that-is-at-least-32-bytes-long!!';
process.env.LOG_LEVEL ??= 'silent';
// Limits have tests of their own (abuse.e2e-spec.ts, which sets them low); elsewhere they would
// only make unrelated tests depend on how many requests came before.
process.env.RATE_LIMIT_INVITATIONS_PER_HOUR ??= '1000000';
process.env.RATE_LIMIT_REQUESTS_PER_MINUTE ??= '1000000';
process.env.RATE_LIMIT_ACCEPT_PER_MINUTE ??= '100000';
