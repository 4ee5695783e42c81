import { AppConfig } from '../../config/app-config.js';
import { Clock } from '../../common/clock.js';
import { loadConfig, type RawEnv } from '../../config/config.schema.js';
import { InvitationEmailRenderer, type InvitationEmailView } from './invitation-email.renderer.js';
import { mailerOptions } from '../../mail/mailer.js';

const config = (env: RawEnv = {}) =>
  AppConfig.from(loadConfig({ APP_URL: 'https://brms.example.com/', ...env }, 'x'.repeat(32)));

/** The email as sent: the renderer's parts, and the HTML part as the mailer's adapter renders it. */
function renderEmail(view: InvitationEmailView, appConfig = config()) {
  const email = new InvitationEmailRenderer(appConfig, sevenDaysBefore).render(view);
  const options = mailerOptions(appConfig);
  const mail: { data: { template: string; context: object; html?: string } } = {
    data: { template: email.template, context: email.context },
  };
  options.template?.adapter?.compile(
    mail,
    (error?: Error) => {
      if (error) throw error;
    },
    options,
  );
  if (mail.data.html === undefined) throw new Error('the adapter rendered no HTML');
  return { ...email, html: mail.data.html };
}

/** A week before the sample invitation expires. */
const sevenDaysBefore = new (class extends Clock {
  now() {
    return new Date('2030-01-05T09:30:00Z');
  }
})();

const view = {
  organisationName: 'Acme & <Partners>',
  inviterEmail: 'owner@acme.test',
  inviterName: null,
  expiresAt: new Date('2030-01-12T09:30:00Z'),
  token: 'tok_EN-abc123',
};

describe('InvitationEmailRenderer', () => {
  it('names the organisation and the inviter, shows the expiry and carries the accept link', () => {
    const email = renderEmail(view);
    const link = 'https://brms.example.com/invitations/accept?token=tok_EN-abc123';

    expect(email.subject).toBe('You are invited to join Acme & <Partners> on BRMS');
    expect(email.text).toBe(
      [
        'owner@acme.test has invited you to join Acme & <Partners> on BRMS.',
        '',
        'Accept the invitation:',
        link,
        '',
        'This link expires on 12 January 2030 at 09:30 UTC (in 7 days).',
        '',
        'If you did not expect this invitation, you can ignore this email.',
        '',
      ].join('\n'),
    );

    expect(email.html).toMatch(/^<!doctype html>/);
    // Escaped in HTML, including inside the link (`=` becomes an entity browsers decode).
    expect(email.html).toContain('Acme &amp; &lt;Partners&gt;');
    expect(email.html).not.toContain('<Partners>');
    expect(email.html).toContain(`href="${link.replace('=', '&#x3D;')}"`);
    expect(email.html).toContain('<strong>owner@acme.test</strong> has invited you');
    expect(email.html).toContain('This link expires on 12 January 2030 at 09:30 UTC (in 7 days).');
  });

  it('names an inviter whose name is known by it, with the address beside, escaped in HTML', () => {
    const email = renderEmail({ ...view, inviterName: 'Ada <Lovelace>' });
    expect(email.text).toMatch(/^Ada <Lovelace> \(owner@acme\.test\) has invited you to join/);
    expect(email.html).toContain(
      '<strong>Ada &lt;Lovelace&gt;</strong> (owner@acme.test) has invited you',
    );
  });

  it('omits an unknown inviter and says when the link does not expire', () => {
    const email = renderEmail({
      ...view,
      inviterEmail: null,
      expiresAt: null,
    });
    for (const part of [email.text, email.html]) {
      expect(part).toContain('You have been invited');
      expect(part).toContain('This link does not expire.');
      expect(part).not.toContain('owner@acme.test');
      expect(part).not.toContain('expires on');
    }
  });

  it('takes the subject from MAIL_SUBJECT, on one line', () => {
    const renderer = new InvitationEmailRenderer(
      config({ MAIL_SUBJECT: '{{inviterEmail}}\r\ninvited you to {{organisationName}}' }),
    );
    expect(renderer.render(view).subject).toBe('owner@acme.test invited you to Acme & <Partners>');
  });

  it('refuses to start with a subject naming an unknown variable', () => {
    expect(
      () => new InvitationEmailRenderer(config({ MAIL_SUBJECT: 'Join {{organisation}}' })),
    ).toThrow(/MAIL_SUBJECT/);
  });
});
