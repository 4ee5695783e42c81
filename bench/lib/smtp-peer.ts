import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * The benchmarks' SMTP peer: a real `smtp-server` on a loopback port that counts messages per
 * envelope recipient without parsing them (test/kit/mailbox.ts parses every message, which would
 * make the peer, not the sender, the bottleneck at 10 000 messages). `delayMs` makes it answer each
 * message's DATA that much later: a slow server.
 */
export class SmtpPeer {
  delayMs = 0;
  /** Messages accepted per recipient (lowercased). */
  readonly counts = new Map<string, number>();
  total = 0;
  /** performance.now() of the first and the last accepted message since the last reset. */
  firstAt: number | undefined;
  lastAt: number | undefined;
  private readonly waiters = new Set<() => void>();

  private readonly server: SMTPServer;
  private port = 0;

  private constructor() {
    this.server = new SMTPServer({
      logger: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      onData: (stream, session, callback) => {
        stream.resume();
        stream.on('end', () => {
          const recipients = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const answer = () => {
            this.record(recipients);
            callback();
          };
          if (this.delayMs > 0) setTimeout(answer, this.delayMs);
          else answer();
        });
      },
    });
  }

  static async start(): Promise<SmtpPeer> {
    const peer = new SmtpPeer();
    await new Promise<void>((resolve, reject) => {
      peer.server.server.once('error', reject);
      peer.server.listen(0, '127.0.0.1', () => resolve());
    });
    peer.port = (peer.server.server.address() as AddressInfo).port;
    return peer;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
    this.firstAt = undefined;
    this.lastAt = undefined;
  }

  /** Recipients that got more than one message. */
  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([address]) => address);
  }

  /** Resolves once `count` messages arrived in all; rejects after `timeoutMs`. */
  async waitForTotal(count: number, timeoutMs: number): Promise<void> {
    if (this.total >= count) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        waiter = () => {
          if (this.total >= count) resolve();
        };
        this.waiters.add(waiter);
        timer = setTimeout(
          () =>
            reject(new Error(`SMTP peer: ${this.total} of ${count} messages in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      if (waiter) this.waiters.delete(waiter);
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const connection of this.server.connections) connection.close();
    });
  }

  private record(recipients: string[]): void {
    const now = performance.now();
    this.firstAt ??= now;
    this.lastAt = now;
    this.total += 1;
    for (const address of recipients) this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
    for (const waiter of this.waiters) waiter();
  }
}
