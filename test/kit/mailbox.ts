import { simpleParser } from 'mailparser';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config.js';
import { loadConfig, type RawEnv } from '../../src/config/config.schema.js';
import { hashInvitationToken } from '../../src/invitations/invitation-token.js';
import {
  INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  INVITATION_EMAIL_QUEUE,
} from '../../src/invitations/delivery/invitation-outbox.js';
import { QUEUE_SCHEMA } from '../../src/queue/job-queue.js';
import { until } from './until.js';

/** One message the peer accepted. */
export interface ReceivedEmail {
  /** Envelope recipients (RCPT TO), lowercased. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  envelopeFrom: string;
  /** The From header as written. */
  from: string;
  subject: string;
  /** The plain-text part ('' when the message has none). */
  text: string;
  /** The HTML part ('' when the message has none). */
  html: string;
  raw: Buffer;
  receivedAt: Date;
}

export interface WaitOptions {
  /** Milliseconds before the wait fails, naming what did arrive. Default 10 s. */
  timeout?: number;
  /** Wait for this many messages (to that address), not just one. Default 1. */
  count?: number;
}

export interface MailboxOptions {
  /** Milliseconds the peer waits before answering each message's DATA (a slow server). */
  delayMs?: number;
  /** Credentials the peer requires (AUTH PLAIN/LOGIN). Default brms / mailbox-secret. */
  user?: string;
  password?: string;
}

interface Waiter {
  done: () => boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * An in-process SMTP server (npm `smtp-server`) on a free loopback port, read back as a mailbox:
 * the real SMTP peer of the e2e tests. Point the app at `mailbox.url` (see `mailTestConfig`), then
 * `await mailbox.waitFor('someone@example.com')`. `down()` and `up()` simulate an outage (the
 * port refuses connections meanwhile); `delayMs` makes it a slow server.
 */
export class Mailbox {
  /** Everything accepted so far, in arrival order. */
  readonly received: ReceivedEmail[] = [];
  delayMs: number;
  private server: SMTPServer | undefined;
  private port = 0;
  private readonly user: string;
  private readonly password: string;
  private readonly waiters = new Set<Waiter>();

  private constructor(options: MailboxOptions) {
    this.delayMs = options.delayMs ?? 0;
    this.user = options.user ?? 'brms';
    this.password = options.password ?? 'mailbox-secret';
  }

  static async start(options: MailboxOptions = {}): Promise<Mailbox> {
    const mailbox = new Mailbox(options);
    await mailbox.up();
    return mailbox;
  }

  /** SMTP_URL for the app, with the credentials the peer checks. */
  get url(): string {
    return `smtp://${this.user}:${this.password}@127.0.0.1:${this.port}`;
  }

  /** Messages to one address (case-insensitive), in arrival order. */
  messagesTo(address: string): ReceivedEmail[] {
    const wanted = address.toLowerCase();
    return this.received.filter((m) => m.to.includes(wanted));
  }

  /** Resolves with the `count`-th message to `address` once it arrived; rejects after `timeout`. */
  async waitFor(address: string, options: WaitOptions = {}): Promise<ReceivedEmail> {
    const count = options.count ?? 1;
    await this.until(
      () => this.messagesTo(address).length >= count,
      options.timeout ?? 10_000,
      () => `${count} email(s) to ${address}`,
    );
    return this.messagesTo(address)[count - 1];
  }

  /** Resolves once `count` messages arrived in all; rejects after `timeout`. */
  async waitForCount(count: number, options: Pick<WaitOptions, 'timeout'> = {}): Promise<void> {
    await this.until(
      () => this.received.length >= count,
      options.timeout ?? 10_000,
      () => `${count} email(s) in all`,
    );
  }

  /** Forgets what arrived (the server keeps running). */
  clear(): void {
    this.received.length = 0;
  }

  /** Stops answering: open connections are dropped and new ones refused, as when a server dies. */
  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const connection of server.connections) connection.close();
    });
  }

  /** Listens again, on the same port when it ran before (so SMTP_URL stays valid). */
  async up(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.user && auth.password === this.password) {
          callback(null, { user: auth.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData: (stream, session, callback) => {
        this.accept(stream, session).then(
          () => callback(),
          (error: unknown) => callback(error as Error),
        );
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    await this.down();
    for (const waiter of this.waiters) waiter.reject(new Error('Mailbox closed'));
  }

  private async accept(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const parsed = await simpleParser(raw);
    const mailFrom = session.envelope.mailFrom;
    this.received.push({
      to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
      envelopeFrom: mailFrom ? mailFrom.address : '',
      from: parsed.from?.text ?? '',
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      html: parsed.html || '',
      raw,
      receivedAt: new Date(),
    });
    for (const waiter of this.waiters) if (waiter.done()) waiter.resolve();
  }

  private async until(done: () => boolean, timeout: number, what: () => string): Promise<void> {
    if (done()) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: Waiter | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waiter = { done, resolve, reject };
        this.waiters.add(waiter);
        timer = setTimeout(() => {
          const got = this.received.map((m) => m.to.join(',')).join('; ') || 'nothing';
          reject(new Error(`Mailbox: no ${what()} within ${timeout} ms (received: ${got})`));
        }, timeout);
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
  }
}

/** The accept link in an email's plain-text part, and the token in it. */
export function acceptLinkIn(email: ReceivedEmail): { url: URL; token: string } {
  const match = /https?:\/\/\S+\/invitations\/accept\?token=[A-Za-z0-9_-]+/.exec(email.text);
  if (!match) throw new Error(`No accept link in the email to ${email.to.join(', ')}`);
  const url = new URL(match[0]);
  return { url, token: url.searchParams.get('token')! };
}

/** SHA-256 hex of the token in an email's link: compare with `invitations.token_hash`. */
export function tokenHashIn(email: ReceivedEmail): string {
  return hashInvitationToken(acceptLinkIn(email).token);
}

/**
 * The token of the invitation's current email, once the mail worker has sent it: the one email to
 * that address whose link the invitation's stored hash opens.
 */
export async function deliveredToken(
  dataSource: DataSource,
  mailbox: Mailbox,
  invitation: { id: string; email: string },
): Promise<string> {
  let stored: string | null = null;
  await until(async () => {
    const [row] = await dataSource.query<{ status: string; token_hash: string }[]>(
      `SELECT delivery_status AS status, token_hash FROM invitations WHERE id = $1`,
      [invitation.id],
    );
    stored = row.status === 'sent' ? row.token_hash : null;
    return stored;
  });
  const email = mailbox.messagesTo(invitation.email).find((e) => tokenHashIn(e) === stored);
  if (!email) throw new Error(`no email to ${invitation.email} holds the stored token`);
  return acceptLinkIn(email).token;
}

/**
 * The app configuration for a test that exercises mail: the environment the test kit set, pointed
 * at `mailbox`, with the worker on, quick polling and quick retries. `env` overrides any variable:
 * `override: (b) => b.overrideProvider(AppConfig).useValue(mailTestConfig(mailbox))`.
 */
export function mailTestConfig(mailbox: Mailbox | undefined, env: RawEnv = {}): AppConfig {
  return AppConfig.from(
    loadConfig({
      ...process.env,
      ...(mailbox ? { SMTP_URL: mailbox.url } : {}),
      MAIL_WORKER_ENABLED: 'true',
      MAIL_POLL_INTERVAL: '500ms',
      MAIL_MAX_ATTEMPTS: '20',
      MAIL_RETRY_DELAY: '1s',
      MAIL_RETRY_BACKOFF: 'false',
      MAIL_SEND_TIMEOUT: '5s',
      MAIL_SHUTDOWN_TIMEOUT: '5s',
      ...env,
    }),
  );
}

/** Jobs of the mail queues not yet finished (created, waiting for a retry, or running). */
export async function pendingMailJobs(dataSource: DataSource): Promise<number> {
  const [{ n }] = await dataSource.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = ANY($1) AND state < 'completed'`,
    [[INVITATION_EMAIL_QUEUE, INVITATION_EMAIL_DEAD_LETTER_QUEUE]],
  );
  return n;
}

/**
 * Resolves once every mail job has finished (sent, skipped, or dead-lettered and recorded), so a
 * test can then assert that nothing more arrives: there is nothing left that could send.
 */
export async function waitForMailQueueIdle(
  dataSource: DataSource,
  options: { timeout?: number } = {},
): Promise<void> {
  await until(
    async () => (await pendingMailJobs(dataSource)) === 0,
    options.timeout ?? 15_000,
    'Mail queue: jobs still pending',
  );
}
