/**
 * The handler of the invite-throughput baselines: `POST /api/users` as a plain `node:http` handler
 * on `pg`, no framework (served by server.ts), doing exactly the database work the service does
 * per request (the SQL texts are the service's repositories' and rate-limiter-flexible's; pg-boss
 * writes its own; the bench compares both sides with pg_stat_statements after each run and says
 * when they differ):
 *
 *   guard     the membership lookup of InternalAuthGuard
 *   limits    rate-limiter-flexible's upsert into rate_limits (the per-organisation invitation
 *             budget; the per-address request limit is off in the bench, RATE_LIMIT_REQUESTS_PER_MINUTE=0)
 *   one transaction, as InvitationsService.inviteInTransaction:
 *             users upsert, membership insert, member check FOR SHARE, invitation upsert,
 *             the pg-boss job insert (pg-boss's own `insert` of all the request's jobs, with the
 *             `db` option on this transaction, as src/queue/job-queue.ts), the audit insert.
 *
 * Token verification, address validation and the pg-boss job ids use the service's own functions,
 * and every statement of the service's is taken from its repository (the same text, sent the same
 * way), so the difference measured is the framework, ORM and the HTTP stack, not the work.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { InternalTokenService } from '../../src/auth/internal-token.service.js';
import { SystemClock } from '../../src/common/clock.js';
import { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/config.schema.js';
import { isRetryable } from '../../src/database/retry.js';
import {
  AUDIT_LOG_SQL,
  auditInsertValues,
  type AuditOrigin,
} from '../../src/audit/audit-log.repository.js';
import { MAX_USER_AGENT_LENGTH } from '../../src/audit/request-origin.js';
import {
  INVITATION_EMAIL_QUEUE,
  jobIdFor,
  jobOptions as mailJobOptions,
} from '../../src/invitations/delivery/invitation-outbox.js';
import { inviteEmailProblem } from '../../src/invitations/dto/invite-email.validator.js';
import {
  INVITATIONS_SQL,
  type InvitationSummary,
} from '../../src/invitations/invitations.repository.js';
import { inviteAuditRecords } from '../../src/invitations/invitations.service.js';
import { MEMBERS_SQL } from '../../src/organisations/organisation-members.repository.js';
import { QUEUE_SCHEMA as MAIL_QUEUE_SCHEMA } from '../../src/queue/job-queue.js';
import { USERS_SQL } from '../../src/users/users.repository.js';

export const config = AppConfig.from(loadConfig(process.env));
const tokens = new InternalTokenService(config, new SystemClock());
const pool = new pg.Pool({
  connectionString: config.database.url,
  max: config.database.poolSize,
  connectionTimeoutMillis: 5000,
});
// Started for its queue cache only (no maintenance, no migration): `insert` writes through the `db`
// passed with the jobs.
const boss = new PgBoss({
  connectionString: config.database.url,
  schema: MAIL_QUEUE_SCHEMA,
  max: 1,
  migrate: false,
  supervise: false,
  schedule: false,
});
await boss.start();
const jobOptions = mailJobOptions(config);

const AUTHORIZATION = /^internal +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i;
const MAX_BODY = 16 * 1024;
const ALLOWED_TYPES = new Set(['owner', 'admin']);

const RATE_LIMIT_UPSERT = `
            INSERT INTO "rate_limits" VALUES ($1, $2, $3)
              ON CONFLICT(key) DO UPDATE SET
                points = CASE
                          WHEN ("rate_limits".expire <= $4 OR 1=0) THEN $2
                          ELSE "rate_limits".points + ($2)
                         END,
                expire =  CASE
             WHEN "rate_limits".expire <= $4 THEN $3
             ELSE "rate_limits".expire
            END 
            RETURNING points, expire;`;

type InvitationRow = InvitationSummary & { inserted: boolean };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseEmails(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const emails = (body as { emails?: unknown } | null)?.emails;
  if (!Array.isArray(emails) || emails.length < 1 || emails.length > 10) {
    throw new HttpError(400, 'emails must be an array of 1 to 10 addresses');
  }
  return emails.map((value: unknown, i) => {
    const email = typeof value === 'string' ? value.trim() : value;
    const problem = inviteEmailProblem(email);
    if (problem) throw new HttpError(400, `emails[${i}] ${problem}`);
    return email as string;
  });
}

async function authenticate(
  req: IncomingMessage,
): Promise<{ userId: string; organisationId: string }> {
  const match = AUTHORIZATION.exec(req.headers.authorization ?? '');
  if (!match) throw new HttpError(401, 'token required');
  const identity = await tokens.verify(match[1]).catch(() => {
    throw new HttpError(401, 'invalid token');
  });
  const { rows: members } = await pool.query<{ type: string; status: string }>(MEMBERS_SQL.role, [
    identity.organisationId,
    identity.userId,
  ]);
  const member = members[0];
  if (!member || member.status !== 'active') throw new HttpError(403, 'not a member');
  if (!ALLOWED_TYPES.has(member.type)) throw new HttpError(403, 'not allowed');
  return identity;
}

async function consumeInvitationBudget(organisationId: string, cost: number): Promise<void> {
  const now = Date.now();
  const { rows: result } = await pool.query<{ points: number }>({
    name: 'rate_limits:rlflx-upsert',
    text: RATE_LIMIT_UPSERT,
    values: [`invitations:${organisationId}`, cost, now + 3_600_000, now],
  });
  if (result[0].points > config.rateLimits.invitationsPerHour) throw new HttpError(429, 'limit');
}

async function inviteInTransaction(
  client: pg.PoolClient,
  principal: { userId: string; organisationId: string },
  emails: string[],
  origin: AuditOrigin,
): Promise<InvitationRow[]> {
  const now = new Date();
  const { organisationId } = principal;
  const users = (
    await client.query<{ id: string; email: string }>(USERS_SQL.upsertByEmail, [emails, now])
  ).rows;
  const userIdByEmail = new Map(users.map((u) => [u.email, u.id]));
  const userIds = emails.map((email) => userIdByEmail.get(email)!);

  await client.query(MEMBERS_SQL.addInvited, [organisationId, userIds, now]);
  const members = await client.query(MEMBERS_SQL.membersAmong, [organisationId, userIds]);
  if (members.rows.length > 0) throw new HttpError(409, 'already members');

  const { ttlMs, resendCooldownMs } = config.invitations;
  const expiresAt = ttlMs === null ? null : new Date(now.getTime() + ttlMs);
  const cooldownEdge = new Date(now.getTime() - resendCooldownMs);
  const changed = (
    await client.query<InvitationRow>(INVITATIONS_SQL.upsertPending, [
      organisationId,
      principal.userId,
      now,
      expiresAt,
      userIds,
      emails,
      cooldownEdge,
    ])
  ).rows;
  const changedEmails = new Set(changed.map((row) => row.email));
  const unchanged = emails.filter((email) => !changedEmails.has(email));
  const untouched =
    unchanged.length === 0
      ? []
      : (
          await client.query<InvitationRow>(INVITATIONS_SQL.findPending, [
            organisationId,
            unchanged,
          ])
        ).rows;

  const db = {
    executeSql: async (text: string, values: unknown[] = []) => ({
      rows: (await client.query(text, values)).rows,
    }),
  };
  if (changed.length > 0) {
    await boss.insert(
      INVITATION_EMAIL_QUEUE,
      changed.map((row) => {
        const job = { invitationId: row.id, generation: row.sendCount };
        return { ...jobOptions, id: jobIdFor(job), data: job };
      }),
      { db },
    );
    await client.query(
      AUDIT_LOG_SQL.insert,
      auditInsertValues(inviteAuditRecords(changed, organisationId, principal.userId, now), origin),
    );
  }
  return [...changed, ...untouched];
}

export async function invite(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const principal = await authenticate(req);
  const ordered = [...new Set(parseEmails(await readBody(req)).map((e) => e.toLowerCase()))];
  const sorted = [...ordered].sort();
  await consumeInvitationBudget(principal.organisationId, ordered.length);
  let result: InvitationRow[] | undefined;
  for (let attempt = 1; !result; attempt++) {
    const client = await pool.connect();
    try {
      await client.query('START TRANSACTION');
      result = await inviteInTransaction(client, principal, sorted, {
        ipAddress: req.socket.remoteAddress ?? null,
        userAgent: req.headers['user-agent']?.slice(0, MAX_USER_AGENT_LENGTH) ?? null,
        requestId,
      });
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      if (attempt >= 5 || !isRetryable(error)) throw error;
    } finally {
      client.release();
    }
  }
  const byEmail = new Map(result.map((row) => [row.email, row]));
  const body = JSON.stringify(
    ordered.map((email) => {
      const row = byEmail.get(email)!;
      return {
        id: row.id,
        email: row.email,
        status: 'pending',
        userId: row.userId,
        createdAt: row.createdAt.toISOString(),
        expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
      };
    }),
  );
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'x-request-id': requestId,
  });
  res.end(body);
}

/** Answers a failed `invite` (plain text: the load generator counts statuses only). */
export function answerError(res: ServerResponse, error: unknown): void {
  const status = error instanceof HttpError ? error.status : 500;
  if (status === 500) console.error(error);
  res.writeHead(status, { 'content-type': 'text/plain' }).end(String((error as Error).message));
}

/** Closes the pool; the process can exit. */
export async function close(): Promise<void> {
  await pool.end();
}
