import { createHash } from 'node:crypto';
import Handlebars from 'handlebars';

/** What the page says; the token is only ever in the form, never in text the page shows. */
export type AcceptPageState =
  | { kind: 'pending'; organisationName: string; inviter: string | null; expires: string | null }
  | { kind: 'joined'; organisationName: string }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'invalid' }
  | { kind: 'busy'; retryAfterSeconds: number }
  | { kind: 'failed' };

/**
 * Inline, so the page needs no second request; the CSP allows exactly this stylesheet by its hash.
 * Colours meet WCAG AA contrast, and keyboard focus stays visible.
 */
const STYLE = `
body{margin:0;padding:0 1rem;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#f4f5f7}
main{box-sizing:border-box;max-width:32rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:8px}
h1{font-size:1.4rem;margin:0 0 1rem}
dl{margin:0 0 1.5rem}dt{font-weight:600}dd{margin:0 0 .5rem}
button{font:inherit;font-weight:600;color:#fff;background:#0a4f96;border:0;border-radius:6px;padding:.75rem 1.5rem;cursor:pointer}
button:focus-visible{outline:3px solid #1a1a1a;outline-offset:2px}
`.trim();

export const ACCEPT_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page holds a secret (the token, in its form): never cached, never sent on as a referrer. */
export const ACCEPT_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': ACCEPT_PAGE_CSP,
};

const hbs = Handlebars.create();
hbs.registerHelper(
  'is',
  (state: AcceptPageState, kind: AcceptPageState['kind']) => state.kind === kind,
);

const PAGE = hbs.compile<{ state: AcceptPageState; title: string; style: string; token?: string }>(
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<style>{{{style}}}</style>
</head>
<body>
<main>
<h1>{{title}}</h1>
{{#if (is state "pending")}}
<p>You have been invited to join <strong>{{state.organisationName}}</strong> on BRMS.</p>
<dl>
<dt>Organisation</dt><dd>{{state.organisationName}}</dd>
{{#if state.inviter}}<dt>Invited by</dt><dd>{{state.inviter}}</dd>{{/if}}
<dt>Expires</dt><dd>{{#if state.expires}}{{state.expires}}{{else}}never{{/if}}</dd>
</dl>
<form method="post" action="/invitations/accept">
<input type="hidden" name="token" value="{{token}}">
<button type="submit">Accept invitation</button>
</form>
{{/if}}
{{#if (is state "joined")}}<p>You are now a member of <strong>{{state.organisationName}}</strong>.</p>{{/if}}
{{#if (is state "expired")}}<p>This invitation has expired. Ask the person who invited you to send a new one.</p>{{/if}}
{{#if (is state "used")}}<p>This invitation has already been used. If that was you, you are a member already.</p>{{/if}}
{{#if (is state "invalid")}}<p>This invitation link is not valid. It may have been revoked, or a newer invitation email may have replaced it.</p>{{/if}}
{{#if (is state "busy")}}<p>There were too many attempts from your network. Wait {{state.retryAfterSeconds}} seconds, then open the link in the email again.</p>{{/if}}
{{#if (is state "failed")}}<p>This could not be done just now. Open the link in the email again in a moment.</p>{{/if}}
</main>
</body>
</html>
`,
  { strict: false },
);

const TITLES: Record<AcceptPageState['kind'], string> = {
  pending: 'Join your team on BRMS',
  joined: 'Welcome aboard',
  expired: 'Invitation expired',
  used: 'Invitation already used',
  invalid: 'Invitation not valid',
  busy: 'Too many attempts',
  failed: 'Please try again',
};

export function renderAcceptPage(state: AcceptPageState, token?: string): string {
  return PAGE({ state, title: TITLES[state.kind], style: STYLE, token });
}
