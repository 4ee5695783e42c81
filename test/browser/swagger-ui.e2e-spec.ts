import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SCREENSHOT_DIR, describeWithBrowser, launchChromium } from './chromium.js';
import { freshWorkdir, removeWorkdir, startDevServer, type DevServer } from './dev-server.js';

describeWithBrowser('Swagger UI')('Swagger UI, as a person uses it after `npm start`', () => {
  const workdir = freshWorkdir('brms-browser-');
  let server: DevServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    server = await startDevServer(workdir);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    removeWorkdir(workdir);
  }, 60_000);

  it('/docs-json stays the contract: every tag of the reference, the empty ones too', async () => {
    const res = await fetch(`${server!.url}/docs-json`);
    const document = (await res.json()) as { tags: { name: string }[] };
    expect(document.tags).toHaveLength(25);
  });

  it('authorizes with the printed value and invites a user through POST /api/users', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(15_000);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    rmSync(join(SCREENSHOT_DIR, 'swagger-ui-invite-failure.png'), { force: true });
    const screenshot = (name: string) =>
      page.screenshot({ path: join(SCREENSHOT_DIR, name), fullPage: true });

    try {
      await page.goto(`${server!.url}/docs`, { waitUntil: 'load', timeout: 30_000 });
      const operation = page.locator('#operations-User-inviteUsers');
      await operation.waitFor();

      // What a person sees first: a filter box, and no empty tag sections pushing the operations
      // of this service down the page.
      await page.locator('input.operation-filter-input').waitFor();
      for (const section of await page.locator('.opblock-tag-section').all()) {
        expect(await section.locator('.opblock-tag').getAttribute('data-tag')).toBeTruthy();
        expect(await section.locator('.opblock').count()).toBeGreaterThan(0);
      }
      // (The Audit log operations come first: its tag sorts before User.)
      expect((await page.locator('.opblock').first().boundingBox())!.y).toBeLessThan(1000);

      // Authorize: paste exactly what npm start printed after "Authorization: ".
      await page.locator('.auth-wrapper button.authorize').click();
      const dialog = page.locator('.modal-ux');
      await dialog.waitFor();
      // Swagger UI has no input for a custom `http` scheme such as `internal`: the UI must be
      // served a document where internalAuth is an API key in the Authorization header.
      expect(await dialog.innerText()).not.toContain('unsupported scheme');
      // Both schemes are offered: the internal token, and a personal access token (bearer), which
      // Swagger UI sends as `Authorization: Bearer <value>` on the operations that take it.
      const bearer = dialog.locator('.auth-container').filter({ hasText: 'personalAccessToken' });
      expect(await bearer.innerText()).toContain('Bearer');
      expect(await bearer.locator('input').count()).toBe(1);
      const scheme = dialog.locator('.auth-container').filter({ hasText: 'internalAuth' });
      await scheme.locator('input').first().fill(server!.authorization);
      await scheme.getByRole('button', { name: 'Apply credentials' }).click(); // "Authorize"
      // Swagger UI marks the scheme authorized and offers "Logout" instead.
      await scheme.getByRole('button', { name: 'Remove authorization' }).waitFor();
      // One "Close" per scheme; any of them closes the dialog.
      await dialog.getByRole('button', { name: 'Close' }).first().click();
      await dialog.waitFor({ state: 'detached' });

      // Try it out: POST /api/users with one address.
      await operation.locator('.opblock-summary').first().click();
      await operation.locator('button.try-out__btn').click();
      await operation
        .locator('textarea.body-param__text')
        .fill(JSON.stringify({ emails: ['browser-invitee@example.com'] }));
      await operation.locator('button.execute').click();

      const response = operation.locator('.live-responses-table .response').first();
      await response.waitFor();
      // The operation as the person sees it: request, curl line, and the response.
      await operation.screenshot({ path: join(SCREENSHOT_DIR, 'swagger-ui-invite.png') });
      expect((await response.locator('.response-col_status').innerText()).trim()).toBe('200');
      expect(await response.locator('.response-col_description').innerText()).toContain(
        'browser-invitee@example.com',
      );

      // Each error status shows its own true example: the 409 lists the addresses, the 429 says
      // when to retry.
      const documented = (code: number) =>
        operation.locator(`.responses-table tr.response[data-code="${code}"]`).innerText();
      expect(await documented(409)).toContain('urn:brms:problem:already-members');
      expect(await documented(409)).toContain('"emails"');
      expect(await documented(401)).toContain('urn:brms:problem:unauthorized');
      expect(await documented(429)).toContain('Retry-After');
      for (const code of [401, 403, 409, 413, 415, 429]) {
        expect(await documented(code)).not.toContain('errors');
      }

      // persistAuthorization: after a reload the token is still there.
      await page.reload({ waitUntil: 'load' });
      await operation.waitFor();
      await page.locator('.auth-wrapper button.authorize.locked').waitFor();
    } catch (error) {
      await screenshot('swagger-ui-invite-failure.png').catch(() => undefined);
      console.error(`Server output before the failure:\n${server!.output().slice(-4000)}`);
      throw error;
    } finally {
      await page.close();
    }
  }, 120_000);
});
