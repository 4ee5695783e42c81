import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { memberTypeOf, mintToken, seedMember, type Member } from '../kit/auth.js';
import { TestClock } from '../kit/clock.js';
import { acceptLinkIn } from '../kit/mailbox.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { SCREENSHOT_DIR, describeWithBrowser, launchChromium } from './chromium.js';

const PHONE = { width: 375, height: 740 };

/**
 * The lowest WCAG contrast ratio between any element's text and the background behind it, as
 * a script for the page (the test's TypeScript has no DOM types).
 */
const LOWEST_CONTRAST = `(() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  let lowest = Infinity;
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
    lowest = Math.min(lowest, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05));
  }
  return lowest;
})()`;

describeWithBrowser('accept page')('the emailed link, opened in a browser on a phone', () => {
  let t: TestApp;
  let owner: Member;
  let browser: Browser;
  const clock = new TestClock();

  beforeAll(async () => {
    t = await createTestApp({ mailbox: true, clock });
    owner = await seedMember(t.dataSource, { email: 'owner@browser.test', type: 'owner' });
    browser = await launchChromium();
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Invites `email` and opens the link of the email that arrived at the SMTP peer. */
  async function openInvitation(email: string): Promise<{ page: Page; html: string }> {
    await request(t.server)
      .post('/api/users')
      .set('Authorization', `Internal ${await mintToken(owner)}`)
      .send({ emails: [email] })
      .expect(200);
    const received = await t.mailbox!.waitFor(email);
    const { url } = acceptLinkIn(received);
    const page = await browser.newPage({ viewport: PHONE, javaScriptEnabled: false });
    page.setDefaultTimeout(15_000);
    // The link's origin is APP_URL; the test app listens elsewhere on loopback.
    await page.goto(`${t.url}${url.pathname}${url.search}`);
    return { page, html: received.html };
  }

  const fitsWidth = (page: Page) =>
    // A string: the test's TypeScript has no DOM types.
    page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth');

  const memberType = (email: string) => memberTypeOf(t.dataSource, email);

  it('joins with one click (keyboard included), without JavaScript, and a second visit says "already used"', async () => {
    const { page } = await openInvitation('phone.one@example.com');
    try {
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'accept-page-375.png'), fullPage: true });
      expect(await fitsWidth(page)).toBe(true);
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(
        'Join your team on BRMS',
      );
      expect(await page.locator('main').innerText()).toContain('owner@browser.test');

      // Accessible: every text meets WCAG AA contrast; the keyboard reaches the button first and
      // shows where it is.
      expect(await page.evaluate<number>(LOWEST_CONTRAST)).toBeGreaterThanOrEqual(4.5);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      await page.keyboard.press('Tab');
      expect(await page.evaluate<string>('document.activeElement.textContent')).toBe(
        'Accept invitation',
      );
      expect(
        await page.evaluate<string>(
          'getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth',
        ),
      ).toBe('solid 3px');
      await page.keyboard.press('Enter');
      await page.getByText('You are now a member of').waitFor();
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'accept-page-joined-375.png') });
      expect(await memberType('phone.one@example.com')).toBe('member');

      await page.goBack();
      await page.reload();
      expect(await page.locator('main').innerText()).toContain('already been used');
    } finally {
      await page.close();
    }
  });

  it('says an expired link has expired and changes nothing', async () => {
    const { page } = await openInvitation('phone.two@example.com');
    try {
      clock.advance(8 * 24 * 3600 * 1000);
      await page.getByRole('button', { name: 'Accept invitation' }).click();
      await page.getByText('This invitation has expired').waitFor();
      expect(await memberType('phone.two@example.com')).toBe('invited');
    } finally {
      clock.advance(-8 * 24 * 3600 * 1000);
      await page.close();
    }
  });

  it('shows the email itself without sideways scrolling at 375 px', async () => {
    const { page: linkPage, html } = await openInvitation('phone.three@example.com');
    await linkPage.close();
    // A page of its own: the accept page's CSP would block the email's inline styles.
    const page = await browser.newPage({ viewport: PHONE, javaScriptEnabled: false });
    try {
      await page.setContent(html);
      await page.screenshot({
        path: join(SCREENSHOT_DIR, 'invitation-email-375.png'),
        fullPage: true,
      });
      expect(await fitsWidth(page)).toBe(true);
    } finally {
      await page.close();
    }
  });
});
