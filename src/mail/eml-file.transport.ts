import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Logger } from '@nestjs/common';
import type { MailMessage, NodemailerError, Transport } from 'nodemailer';

export interface EmlFileSentMessageInfo {
  envelope: { from: string | false; to: string[] };
  messageId: string;
  /** Where the message was written. */
  path: string;
}

/**
 * The zero-setup transport (no SMTP_URL, outside production): each message becomes an .eml file
 * that any mail client opens, and one log line names the recipient and the file. The log line
 * never carries the message itself: it may hold a live link.
 */
export class EmlFileTransport implements Transport<EmlFileSentMessageInfo> {
  readonly name = 'EmlFileTransport';
  readonly version = '1';
  private sequence = 0;

  constructor(
    private readonly dir: string,
    private readonly logger: Pick<Logger, 'log'>,
  ) {}

  send(
    mail: MailMessage<EmlFileSentMessageInfo>,
    callback: (err: NodemailerError | null, info?: EmlFileSentMessageInfo) => void,
  ): void {
    this.write(mail).then(
      (info) => callback(null, info),
      (error: unknown) => callback(error as NodemailerError),
    );
  }

  private async write(mail: MailMessage<EmlFileSentMessageInfo>): Promise<EmlFileSentMessageInfo> {
    const message = mail.message;
    const envelope = message.getEnvelope();
    const messageId = message.messageId();
    const raw = await message.build();
    await mkdir(this.dir, { recursive: true });
    // Sortable by time, unique within the process even for messages in the same millisecond.
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.dir, `${stamp}-${process.pid}-${++this.sequence}.eml`);
    await writeFile(file, raw, { mode: 0o600 });
    const shown = relative(process.cwd(), file) || file;
    this.logger.log(`Mail to ${envelope.to.join(', ')} written to ${shown}`);
    return {
      envelope: { from: envelope.from, to: envelope.to },
      messageId,
      path: file,
    };
  }
}
