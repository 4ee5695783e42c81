import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { until } from './processes.js';

/**
 * The benchmarks' SMTP peer: a real `smtp-server` on a loopback port that counts messages per
 * envelope recipient without parsing them (parsing 10 000 messages would make the peer, not the
 * sender, the bottleneck). `delayMs` makes it answer each message's DATA that much later.
 */
export class SmtpPeer {
  delayMs = 0;
  /** Messages accepted per recipient (lowercased). */
  readonly counts = new Map<string, number>();
  total = 0;
  /** performance.now() of the first and the last accepted message since the last reset. */
  firstAt = 0;
  lastAt = 0;
  /** The first message received since the last reset, as sent (the drain's baseline sends it). */
  sample: string | undefined;

  private readonly server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      if (this.sample === undefined) stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      else stream.resume();
      stream.on('end', () => {
        this.sample ??= chunks.length ? Buffer.concat(chunks).toString('utf8') : undefined;
        const answer = () => {
          this.record(session.envelope.rcptTo.map((r) => r.address.toLowerCase()));
          callback();
        };
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      });
    },
  });

  static async start(): Promise<SmtpPeer> {
    const peer = new SmtpPeer();
    await new Promise<void>((resolve, reject) => {
      peer.server.server.once('error', reject);
      peer.server.listen(0, '127.0.0.1', () => resolve());
    });
    return peer;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.server.address() as AddressInfo).port}`;
  }

  reset(): void {
    this.counts.clear();
    this.total = this.firstAt = this.lastAt = 0;
    this.sample = undefined;
  }

  /** Recipients that got more than one message. */
  duplicates(): number {
    return [...this.counts.values()].filter((n) => n > 1).length;
  }

  async waitForTotal(count: number, timeoutMs: number): Promise<void> {
    await until(() => Promise.resolve(this.total >= count), `${count} messages`, timeoutMs);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const connection of this.server.connections) connection.close();
    });
  }

  private record(recipients: string[]): void {
    const now = performance.now();
    this.firstAt ||= now;
    this.lastAt = now;
    this.total += 1;
    for (const address of recipients) this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }
}
