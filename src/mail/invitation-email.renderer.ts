import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import { AppConfig } from '../config/app-config.js';

/**
 * The templates ship beside this file: `npm run build` copies src/mail/templates to
 * dist/src/mail/templates, and tests read them from src/.
 */
export const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/** What the invitation email says, gathered by the worker from the database. */
export interface InvitationEmailView {
  organisationName: string;
  /** The inviting user's address; null when unknown (the email then does not name anyone). */
  inviterEmail: string | null;
  expiresAt: Date | null;
  token: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

interface TemplateContext {
  subject: string;
  organisationName: string;
  inviterEmail: string | null;
  acceptUrl: string;
  /** Formatted for reading; null: the link does not expire. */
  expiresAt: string | null;
}

const EXPIRY_FORMAT = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** `26 November 2026 at 14:03 UTC`: unambiguous to a reader anywhere. */
export function formatExpiry(date: Date): string {
  return `${EXPIRY_FORMAT.format(date)} UTC`;
}

/**
 * Renders the invitation email from Handlebars templates: an HTML part (escaped) and a plain-text
 * part and subject (not escaped: they are not HTML). Templates are compiled when the app starts,
 * and the subject (MAIL_SUBJECT) is rendered once then, so a broken template stops the start
 * instead of failing every delivery. Strict mode: a misspelled variable is an error, not a blank.
 */
@Injectable()
export class InvitationEmailRenderer {
  private readonly hbs = Handlebars.create();
  private readonly subjectTemplate: Handlebars.TemplateDelegate<TemplateContext>;
  private readonly htmlTemplate: Handlebars.TemplateDelegate<TemplateContext>;
  private readonly textTemplate: Handlebars.TemplateDelegate<TemplateContext>;

  constructor(private readonly config: AppConfig) {
    this.subjectTemplate = this.hbs.compile(config.mail.subject, { strict: true, noEscape: true });
    this.htmlTemplate = this.compileFile('invitation.html.hbs', { strict: true });
    this.textTemplate = this.compileFile('invitation.text.hbs', { strict: true, noEscape: true });
    try {
      this.render({ organisationName: 'Example', inviterEmail: null, expiresAt: null, token: 'x' });
    } catch (error) {
      throw new Error(
        `Invitation email templates do not render (check MAIL_SUBJECT): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The link in the email; built from APP_URL, never from a request. */
  acceptUrl(token: string): string {
    return `${this.config.http.appUrl}/invitations/accept?token=${encodeURIComponent(token)}`;
  }

  render(view: InvitationEmailView): RenderedEmail {
    const base = {
      organisationName: view.organisationName,
      inviterEmail: view.inviterEmail,
      acceptUrl: this.acceptUrl(view.token),
      expiresAt: view.expiresAt ? formatExpiry(view.expiresAt) : null,
    };
    // One line: a template with a newline must not be able to inject headers.
    const subject = this.subjectTemplate({ ...base, subject: '' })
      .replace(/\s+/g, ' ')
      .trim();
    const context = { ...base, subject };
    return { subject, html: this.htmlTemplate(context), text: this.textTemplate(context) };
  }

  private compileFile(
    name: string,
    options: CompileOptions,
  ): Handlebars.TemplateDelegate<TemplateContext> {
    const source = readFileSync(`${TEMPLATES_DIR}${name}`, 'utf8');
    return this.hbs.compile(source, options);
  }
}
