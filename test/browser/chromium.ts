import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's `chromium` package; `.ci/run` installs it. npm's browser download is not used. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
/** Git-ignored; CI keeps what is in it. */
export const SCREENSHOT_DIR = resolve('artifacts/browser');

const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';

/**
 * `describe` where a browser can run, else `describe.skip` with a message saying how to get one.
 * In CI a missing browser is a failure (launch throws), never a skip.
 */
export function describeWithBrowser(what: string): jest.Describe {
  if (haveChromium || inCi) return describe;
  console.warn(
    `Skipping the ${what} browser test: no Chromium at ${CHROMIUM}. ` +
      'Install it with `apt-get install -y chromium` (or set CHROMIUM_PATH) to run it.',
  );
  return describe.skip;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}
