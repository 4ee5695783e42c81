import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { resolve } from 'node:path';
import nodemailer, { type SMTPPoolOptions, type Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config.js';
import type { MailConfig } from '../config/config.schema.js';
import { EmlFileTransport } from './eml-file.transport.js';

export interface OutgoingEmail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/**
 * nodemailer's transport options for SMTP_URL: pooled connections (one per concurrent send), and
 * every network wait bounded near MAIL_SEND_TIMEOUT so a silent server cannot hold a worker slot.
 * Settings in the URL's query string (e.g. `?maxConnections=2`) win over these.
 */
export function smtpOptions(mail: MailConfig & { smtpUrl: string }): SMTPPoolOptions {
  return {
    url: mail.smtpUrl,
    pool: true,
    maxConnections: mail.concurrency,
    connectionTimeout: mail.sendTimeoutMs,
    greetingTimeout: mail.sendTimeoutMs,
    // A backstop: each send is aborted at MAIL_SEND_TIMEOUT (InvitationDelivery), which names the
    // setting in the error it records; an idle pooled connection is dropped a little later.
    socketTimeout: mail.sendTimeoutMs + 5000,
  };
}

/** `smtp://host:port`, without credentials, for logs. */
function describeSmtpUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/**
 * The process's nodemailer transporter: SMTP_URL, or without it (never in production: the
 * configuration refuses that) .eml files under MAIL_DIR.
 *
 * nodemailer directly, not @nestjs-modules/mailer: that package is CommonJS and `require`s
 * @nestjs/common, which Nest 12 publishes as ESM only. Node 20.19+ runs that, but Jest 30 on
 * Node 20 cannot (`require()` of ESM needs Node 24.9+ there), so no test could build AppModule.
 * The Handlebars rendering the mailer would add lives in InvitationEmailRenderer.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private readonly transporter: Transporter;

  constructor(private readonly config: AppConfig) {
    const { mail } = config;
    if (mail.smtpUrl) {
      this.transporter = nodemailer.createTransport(
        smtpOptions({ ...mail, smtpUrl: mail.smtpUrl }),
      );
      this.logger.log(`Sending through ${describeSmtpUrl(mail.smtpUrl)}`);
    } else {
      const dir = resolve(mail.dir);
      this.transporter = nodemailer.createTransport(new EmlFileTransport(dir, this.logger));
      this.logger.log(`No SMTP_URL: writing emails as .eml files to ${mail.dir}`);
    }
  }

  /** Resolves once the SMTP peer accepted the message (or the file is written). */
  async send(email: OutgoingEmail, signal: AbortSignal): Promise<void> {
    await this.transporter.sendMail({ from: this.config.mail.from, ...email, signal });
  }

  /** After the worker drained (its module's destroy hook): closes pooled connections. */
  onApplicationShutdown(): void {
    this.transporter.close();
  }
}
