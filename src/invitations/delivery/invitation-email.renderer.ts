import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Injectable, Optional } from '@nestjs/common';
import Handlebars from 'handlebars';
import { Clock, SystemClock } from '../../common/clock.js';
import { AppConfig } from '../../config/app-config.js';
import { TOKEN_PLACEHOLDER } from '../../config/config.schema.js';
import { expiryText } from '../expiry-text.js';

/**
 * The templates ship beside this file: `npm run build` copies src/invitations/delivery/templates
 * to dist/, and tests read them from src/.
 */
export const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

/** What the invitation email says, gathered by the worker from the database. */
export interface InvitationEmailView {
  organisationName: string;
  /** The inviting user's address; null when unknown (the email then does not name anyone). */
  inviterEmail: string | null;
  /** Their full name, when known: the email then names them by it, with the address beside. */
  inviterName: string | null;
  expiresAt: Date | null;
  token: string;
}

/** The subject and text part, rendered; the HTML part as the mailer's template and its context. */
export interface RenderedEmail {
  subject: string;
  text: string;
  /** The HTML template's absolute path, as the mailer's Handlebars adapter takes it. */
  template: string;
  context: TemplateContext;
}

/** The HTML part's template, rendered at send time by the mailer's Handlebars adapter. */
export const HTML_TEMPLATE = 'invitation.html.hbs';

export interface TemplateContext {
  subject: string;
  organisationName: string;
  inviterEmail: string | null;
  inviterName: string | null;
  acceptUrl: string;
  /** Formatted for reading; null: the link does not expire. */
  expiresAt: string | null;
}

/**
 * Renders the invitation email's plain-text part and subject (not escaped: they are not HTML) and
 * gives the context for the HTML part, which the mailer's Handlebars adapter renders (escaped).
 * Every template is compiled and rendered once when the app starts, the HTML one with the options
 * the adapter uses, so a broken template or MAIL_SUBJECT stops the start instead of failing every
 * delivery. Strict mode: a misspelled variable is an error, not a blank.
 */
@Injectable()
export class InvitationEmailRenderer {
  private readonly hbs = Handlebars.create();
  private readonly subjectTemplate: Handlebars.TemplateDelegate<TemplateContext>;
  private readonly textTemplate: Handlebars.TemplateDelegate<TemplateContext>;

  constructor(
    private readonly config: AppConfig,
    @Optional() private readonly clock: Clock = new SystemClock(),
  ) {
    this.subjectTemplate = this.hbs.compile(config.mail.subject, { strict: true, noEscape: true });
    this.textTemplate = this.compileFile('invitation.text.hbs', { strict: true, noEscape: true });
    try {
      const { context } = this.render({
        organisationName: 'Example',
        inviterEmail: 'inviter@example.com',
        inviterName: 'Example Inviter',
        expiresAt: null,
        token: 'x',
      });
      this.compileFile(HTML_TEMPLATE, { strict: true })(context);
    } catch (error) {
      throw new Error(
        `Invitation email templates do not render (check MAIL_SUBJECT): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** The link in the email; built from configuration (INVITATION_ACCEPT_URL), never from a request. */
  acceptUrl(token: string): string {
    return this.config.http.invitationAcceptUrl.replace(
      TOKEN_PLACEHOLDER,
      encodeURIComponent(token),
    );
  }

  render(view: InvitationEmailView): RenderedEmail {
    const base = {
      organisationName: view.organisationName,
      inviterEmail: view.inviterEmail,
      inviterName: view.inviterEmail ? view.inviterName : null,
      acceptUrl: this.acceptUrl(view.token),
      // The moment in UTC and its distance from now: `… UTC (in 7 days)`.
      expiresAt: view.expiresAt ? expiryText(view.expiresAt, this.clock.now()) : null,
    };
    // One line: a template with a newline must not be able to inject headers.
    const subject = this.subjectTemplate({ ...base, subject: '' })
      .replace(/\s+/g, ' ')
      .trim();
    const context = { ...base, subject };
    return {
      subject,
      text: this.textTemplate(context),
      template: `${TEMPLATES_DIR}${HTML_TEMPLATE}`,
      context,
    };
  }

  private compileFile(
    name: string,
    options: CompileOptions,
  ): Handlebars.TemplateDelegate<TemplateContext> {
    const source = readFileSync(`${TEMPLATES_DIR}${name}`, 'utf8');
    return this.hbs.compile(source, options);
  }
}
