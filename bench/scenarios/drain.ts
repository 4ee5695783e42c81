import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import {
  DIST,
  fmt,
  inviteLoad,
  log,
  start,
  stop,
  type BenchContext,
  type ScenarioOutcome,
} from '../lib/context.js';
import { runAmount } from '../lib/load.js';
import { checkpoint, queryValue, seedOwner } from '../lib/postgres.js';
import { NodeProcess, sleep, until } from '../lib/processes.js';

/** The service's default MAIL_WORKER_CONCURRENCY; the baseline loop uses the same. */
const CONCURRENCY = 4;
const TIMEOUT_MS = 15 * 60_000;

/**
 * Scenario 3: invitations queued through the API (worker off), then a worker process started on
 * them, timed until the SMTP peer has every message, each recipient exactly once. The baseline is
 * bench/baseline/mail-loop.ts: nodemailer pooled, sending as many of the worker's own message.
 */
export async function outboxDrain(ctx: BenchContext): Promise<ScenarioOutcome> {
  const count = ctx.profile.drainCount;
  const db = await ctx.pg.createDatabase('drain');
  const owner = await seedOwner(db);
  const api = await start(ctx, 'drain-api', db);
  await runAmount(await inviteLoad(ctx, api, owner, 'drain'), count / 10).finally(() =>
    stop(ctx, api.process),
  );
  const IN_STATE = 'SELECT count(*)::int FROM invitations WHERE delivery_status = $1';
  const inState = (state: string) => queryValue<number>(db, IN_STATE, [state]);
  const queued = await inState('queued');
  if (queued !== count) throw new Error(`expected ${count} queued invitations, found ${queued}`);

  ctx.peer.reset();
  await checkpoint(db);
  const worker = await start(ctx, 'drain-worker', db, {
    env: { MAIL_WORKER_ENABLED: 'true', MAIL_WORKER_CONCURRENCY: String(CONCURRENCY) },
  });
  const allSent = async () => (await inState('sent')) === count;
  const service = await delivered(ctx, worker.process, 'drain', count, () =>
    until(allSent, 'every invitation sent', 60_000, 200),
  ).finally(() => stop(ctx, worker.process));

  // The baseline sends the worker's own message, rebuilt from its parts as the worker builds it.
  const sample = await simpleParser(ctx.peer.sample ?? '');
  const messageFile = join(ctx.workDir, 'message.json');
  const { subject, html, text } = sample;
  writeFileSync(messageFile, JSON.stringify({ from: sample.from?.text, subject, html, text }));
  ctx.peer.reset();
  const loop = NodeProcess.start({
    name: 'drain-baseline',
    script: `${DIST}bench/baseline/mail-loop.js`,
    env: {
      SMTP_URL: ctx.peer.url,
      COUNT: String(count),
      CONCURRENCY: String(CONCURRENCY),
      RECIPIENT_PREFIX: 'loop',
      MESSAGE_FILE: messageFile,
    },
    cwd: ctx.workDir,
    logDir: ctx.logDir,
  });
  ctx.processes.add(loop);
  const baseline = await delivered(ctx, loop, 'loop', count, async () => {
    if ((await loop.exit) !== 0) throw new Error(`the mail loop failed; see ${loop.logFile}`);
  }).finally(() => stop(ctx, loop));

  const ratio = service.rate / baseline.rate;
  const problems = [service, baseline]
    .filter((d) => d.lost || d.duplicated)
    .map((d) => `${d.prefix}: ${d.lost} lost, ${d.duplicated} duplicated`);
  return {
    rows: [
      {
        scenario: '3 outbox drain',
        measure: `${count} queued → all delivered, ${CONCURRENCY} at a time`,
        service: `${service.rate.toFixed(0)} msg/s`,
        baseline: `${baseline.rate.toFixed(0)} msg/s`,
        ratio: fmt.ratio(ratio, 0.5),
        target: '≥ 0.5',
        met: ratio >= 0.5,
      },
      {
        measure: 'lost / duplicated messages',
        service: `${service.lost} / ${service.duplicated}`,
        baseline: `${baseline.lost} / ${baseline.duplicated}`,
        target: '0 / 0',
        met: problems.length === 0,
      },
    ],
    error: problems.length ? `mail lost or duplicated: ${problems.join('; ')}` : undefined,
  };
}

/**
 * Waits until the peer has `count` messages and `done` holds (nothing left that could still
 * send), then one more second for anything sent twice; the rate runs from first to last message.
 */
async function delivered(
  ctx: BenchContext,
  proc: NodeProcess,
  prefix: string,
  count: number,
  done: () => Promise<void>,
) {
  const exited = proc.exit.then((code) => {
    if (code !== 0) throw new Error(`${proc.name} exited (${code}); see ${proc.logFile}`);
  });
  exited.catch(() => undefined); // an exit after the wait (the stop) fails nothing
  await Promise.race([ctx.peer.waitForTotal(count, TIMEOUT_MS), exited]);
  await ctx.peer.waitForTotal(count, 5000);
  await done();
  await sleep(1000);
  let lost = 0;
  for (let i = 0; i < count; i++) if (!ctx.peer.counts.has(`${prefix}-${i}@bench.test`)) lost++;
  const rate = (ctx.peer.total - 1) / ((ctx.peer.lastAt - ctx.peer.firstAt) / 1000);
  log(`  ${proc.name}: ${rate.toFixed(0)} messages/s`);
  return { prefix, rate, lost, duplicated: ctx.peer.duplicates() };
}
