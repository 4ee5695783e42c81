import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { MailerOptions } from '@nestjs-modules/mailer';
import { HandlebarsAdapter } from '@nestjs-modules/mailer/adapters/handlebars.adapter';
import type { SMTPPoolOptions } from 'nodemailer';
import { AppConfig } from '../config/app-config.js';
import type { MailConfig } from '../config/config.schema.js';
import { EmlFileTransport } from './eml-file.transport.js';

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
    // A backstop: the sender aborts each send at MAIL_SEND_TIMEOUT, naming the setting in the
    // error it records; an idle pooled connection is dropped a little later.
    socketTimeout: mail.sendTimeoutMs + 5000,
  };
}

/** `smtp://host:port`, without credentials, for logs. */
function describeSmtpUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}`;
}

/**
 * The mailer's settings: SMTP_URL, or without it (never in production: the configuration refuses
 * that) .eml files under MAIL_DIR, handed over as a nodemailer transport object. An HTML part is
 * rendered by the Handlebars adapter from the template path the sender gives (absolute: each
 * feature keeps its templates), in strict mode (a misspelled variable is an error, not a blank)
 * and without CSS inlining: templates carry their styles inline.
 */
export function mailerOptions(config: AppConfig): MailerOptions {
  const { mail } = config;
  const logger = new Logger('Mail');
  let transport: SMTPPoolOptions | EmlFileTransport;
  if (mail.smtpUrl) {
    transport = smtpOptions({ ...mail, smtpUrl: mail.smtpUrl });
    logger.log(`Sending through ${describeSmtpUrl(mail.smtpUrl)}`);
  } else {
    transport = new EmlFileTransport(resolve(mail.dir), logger);
    logger.log(`No SMTP_URL: writing emails as .eml files to ${mail.dir}`);
  }
  return {
    transport,
    template: {
      adapter: new HandlebarsAdapter(undefined, { inlineCssEnabled: false }),
      options: { strict: true },
    },
  };
}
