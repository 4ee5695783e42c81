import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../../src/config/app-config.js';
import { loadConfig } from '../../src/config/config.schema.js';
import { InvitationEmailRenderer } from '../../src/invitations/delivery/invitation-email.renderer.js';
import { INVITATION_EMAIL_QUEUE } from '../../src/invitations/delivery/invitation-outbox.js';
import { QUEUE_SCHEMA as MAIL_QUEUE_SCHEMA } from '../../src/queue/job-queue.js';
import { newInvitationToken } from '../../src/invitations/invitation-token.js';
import {
  DIST,
  INVITE_CONNECTIONS,
  authorization,
  fmt,
  freshEmails,
  startService,
  stopProcess,
  type BenchContext,
  type ScenarioOutcome,
} from '../lib/context.js';
import { runAmount } from '../lib/load.js';
import {
  checkpoint,
  readStatements,
  resetStatements,
  seedOwner,
  withClient,
} from '../lib/postgres.js';
import { NodeProcess, cpuMs, sleep } from '../lib/processes.js';
import { log } from './invite.js';

/** The service's default MAIL_WORKER_CONCURRENCY; the baseline loop uses the same. */
const CONCURRENCY = 4;
const TIMEOUT_MS = 15 * 60_000;

interface Drain {
  /** Messages per second from the first to the last message the peer accepted. */
  rate: number;
  /** Seconds from starting the process to the last message. */
  wallSeconds: number;
  lost: number;
  duplicated: number;
  /**
   * CPU time of the process per message (user + system, start-up included): the steadier measure
   * on these shared cores, where the rate moved by ±30 % between runs.
   */
  cpuMsPerMessage: number | undefined;
}

/**
 * Scenario 3: 10 000 invitations queued through the API (worker off), then a worker process
 * started on them; timed until the SMTP peer has all 10 000, each recipient exactly once. The
 * baseline is a bare nodemailer pooled loop sending 10 000 of the same messages to the same peer.
 */
export async function outboxDrain(ctx: BenchContext): Promise<ScenarioOutcome> {
  const COUNT = ctx.profile.drainCount;
  const db = await ctx.pg.createDatabase('drain');
  const owner = await seedOwner(db);

  // Queue: 1 000 requests of 10 never-seen addresses, through the API only.
  const api = await startService(ctx, 'drain-api', db);
  const prefix = 'drain';
  try {
    const fill = await runAmount(
      {
        url: api.url,
        method: 'POST',
        path: () => '/api/users',
        headers: {
          authorization: await authorization(ctx.secret, owner),
          'content-type': 'application/json',
        },
        body: freshEmails(prefix),
        connections: INVITE_CONNECTIONS,
        warmupSeconds: 0,
        durationSeconds: 0,
      },
      COUNT / 10,
    );
    if (fill.non2xx > 0 || fill.errors > 0) {
      throw new Error(`queueing failed: ${fill.non2xx} non-2xx, ${fill.errors} errors`);
    }
  } finally {
    await stopProcess(ctx, api.process);
  }
  const queued = await withClient(db, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${MAIL_QUEUE_SCHEMA}.job WHERE name = $1 AND state = 'created'`,
      [INVITATION_EMAIL_QUEUE],
    );
    return rows[0].n;
  });
  if (queued !== COUNT) throw new Error(`expected ${COUNT} queued jobs, found ${queued}`);
  const expected = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}@bench.test`);

  // The service's worker drains the queue.
  ctx.peer.delayMs = 0;
  ctx.peer.reset();
  await checkpoint(db);
  if (ctx.pg.statements) await resetStatements(db);
  const worker = await startService(ctx, 'drain-worker', db, {
    MAIL_WORKER_ENABLED: 'true',
    MAIL_WORKER_CONCURRENCY: String(CONCURRENCY),
  });
  let service: Drain;
  try {
    await Promise.race([
      ctx.peer.waitForTotal(COUNT, TIMEOUT_MS),
      worker.process.exit.then((code) => {
        throw new Error(`the worker exited (${code}); see ${worker.process.logFile}`);
      }),
    ]);
    await waitForQueueIdle(db);
    await sleep(1000); // anything sent twice would arrive now
    service = drainResult(ctx, worker.process, expected);
    const sent = await withClient(db, async (c) => {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM invitations WHERE delivery_status = 'sent'`,
      );
      return rows[0].n;
    });
    if (sent !== COUNT) throw new Error(`${sent} invitations recorded as sent, expected ${COUNT}`);
    if (ctx.pg.statements) {
      // What the worker asked of the database, per email, by total time.
      const statements = (await readStatements(db, COUNT))
        .map((s) => ({ ...s, totalMs: s.calls * s.meanMs }))
        .sort((a, b) => b.totalMs - a.totalMs)
        .slice(0, 6);
      log('  drain-worker statements (per email, mean ms, total s):');
      for (const s of statements) {
        log(
          `    ${s.perRequest.toFixed(3).padStart(6)} ${s.meanMs.toFixed(3).padStart(7)} ${(s.totalMs / 1000).toFixed(2).padStart(6)}  ${s.query.slice(0, 70)}`,
        );
      }
    }
  } finally {
    await stopProcess(ctx, worker.process);
  }
  log(
    `  drain-worker: ${service.rate.toFixed(0)} messages/s, ${service.wallSeconds.toFixed(1)} s, CPU ${cpuText(service)}`,
  );

  // The baseline: nodemailer alone, the same message, the same peer.
  ctx.peer.reset();
  const messageFile = join(ctx.workDir, 'message.json');
  writeFileSync(messageFile, JSON.stringify(sampleMessage()));
  const loop = NodeProcess.start({
    name: 'drain-baseline',
    script: `${DIST}bench/baseline/mail-loop.js`,
    env: {
      SMTP_URL: ctx.peer.url,
      COUNT: String(COUNT),
      CONCURRENCY: String(CONCURRENCY),
      RECIPIENT_PREFIX: 'loop',
      MESSAGE_FILE: messageFile,
    },
    cwd: ctx.workDir,
    logDir: ctx.logDir,
  });
  ctx.processes.add(loop);
  let baseline: Drain;
  try {
    await Promise.race([
      ctx.peer.waitForTotal(COUNT, TIMEOUT_MS),
      loop.exit.then((code) => {
        if (code !== 0) throw new Error(`the mail loop exited (${code}); see ${loop.logFile}`);
        return ctx.peer.waitForTotal(COUNT, 5000);
      }),
    ]);
    await sleep(1000);
    baseline = drainResult(
      ctx,
      loop,
      Array.from({ length: COUNT }, (_, i) => `loop-${i}@bench.test`),
    );
  } finally {
    await stopProcess(ctx, loop);
  }
  log(
    `  drain-baseline: ${baseline.rate.toFixed(0)} messages/s, ${baseline.wallSeconds.toFixed(1)} s, CPU ${cpuText(baseline)}`,
  );

  const ratio = service.rate / baseline.rate;
  const problems = [
    service.lost || service.duplicated
      ? `service: ${service.lost} lost, ${service.duplicated} duplicated`
      : '',
    baseline.lost || baseline.duplicated
      ? `baseline: ${baseline.lost} lost, ${baseline.duplicated} duplicated`
      : '',
  ].filter(Boolean);
  return {
    rows: [
      {
        scenario: '3 outbox drain',
        measure: `${COUNT} queued → all delivered, ${CONCURRENCY} at a time`,
        service: `${service.rate.toFixed(0)} msg/s`,
        baseline: `${baseline.rate.toFixed(0)} msg/s`,
        ratio: fmt.ratio(ratio, 0.5),
        target: '≥ 0.5',
        met: ratio >= 0.5,
      },
      {
        scenario: '',
        measure: 'from process start to last message',
        service: `${service.wallSeconds.toFixed(1)} s`,
        baseline: `${baseline.wallSeconds.toFixed(1)} s`,
        ratio: '',
        target: '',
      },
      {
        scenario: '',
        measure: 'process CPU per message (start-up included)',
        service: cpuText(service),
        baseline: cpuText(baseline),
        ratio: '',
        target: '(diagnostic)',
      },
      {
        scenario: '',
        measure: 'lost / duplicated messages',
        service: `${service.lost} / ${service.duplicated}`,
        baseline: `${baseline.lost} / ${baseline.duplicated}`,
        ratio: '',
        target: '0 / 0',
        met: problems.length === 0,
      },
    ],
    data: { count: COUNT, concurrency: CONCURRENCY, service, baseline, ratio },
    notes: [],
    error: problems.length ? `mail lost or duplicated: ${problems.join('; ')}` : undefined,
  };
}

function cpuFromLog(logFile: string): number | undefined {
  const match = /^cpu-ms ([\d.]+)$/m.exec(readFileSync(logFile, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

function cpuText(drain: Drain): string {
  return drain.cpuMsPerMessage === undefined ? '-' : `${drain.cpuMsPerMessage.toFixed(2)} ms`;
}

function drainResult(ctx: BenchContext, proc: NodeProcess, expected: string[]): Drain {
  // The worker is still running; the mail loop has exited and printed its own.
  const cpu = cpuMs(proc.pid) ?? cpuFromLog(proc.logFile);
  const { firstAt, lastAt } = ctx.peer;
  const lost = expected.filter((address) => !ctx.peer.counts.has(address)).length;
  // Recipients that got more than one message.
  const duplicated = ctx.peer.duplicates().length;
  const spanSeconds = ((lastAt ?? 0) - (firstAt ?? 0)) / 1000;
  return {
    rate: (ctx.peer.total - 1) / spanSeconds,
    wallSeconds: ((lastAt ?? 0) - proc.startedAt) / 1000,
    lost,
    duplicated,
    cpuMsPerMessage: cpu === undefined ? undefined : cpu / expected.length,
  };
}

/** Every job finished: nothing left that could still send. */
async function waitForQueueIdle(db: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pending = await withClient(db, async (c) => {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${MAIL_QUEUE_SCHEMA}.job WHERE name = $1 AND state < 'completed'`,
        [INVITATION_EMAIL_QUEUE],
      );
      return rows[0].n;
    });
    if (pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${pending} mail jobs still pending after 60 s`);
    await sleep(200);
  }
}

/** The invitation email as the service renders it, for the baseline loop to send. */
function sampleMessage() {
  const config = AppConfig.from(loadConfig({ APP_URL: 'http://localhost:3000' }));
  const rendered = new InvitationEmailRenderer(config).render({
    organisationName: 'Bench',
    inviterEmail: 'owner@bench.test',
    inviterName: null,
    expiresAt: new Date(Date.now() + 7 * 24 * 3600 * 1000),
    token: newInvitationToken().token,
  });
  return { from: config.mail.from, ...rendered };
}
