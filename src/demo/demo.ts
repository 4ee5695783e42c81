import type { INestApplication } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import { DemoModule } from './demo.module.js';
import {
  DEMO_ORGANISATION,
  DEMO_OWNER_EMAIL,
  DemoService,
  type DemoAccess,
} from './demo.service.js';

/** Loads DemoModule into the running `app` and prepares the demo organisation and its token. */
export async function prepareDemo(app: INestApplication): Promise<DemoAccess> {
  const demo = await app.get(LazyModuleLoader).load(() => DemoModule);
  return demo.get(DemoService).prepare();
}

/** What `npm start` prints about the demo, for a person at a terminal. */
export function demoBanner(demo: DemoAccess, docsUrl: string): string {
  const when = demo.created ? 'created on this first start' : 'created on an earlier start';
  return [
    '',
    `Demo organisation "${DEMO_ORGANISATION}" with owner ${DEMO_OWNER_EMAIL} (${when}).`,
    `Its owner's token, valid for 24 hours (until ${demo.expiresAt.toISOString()}):`,
    '',
    `Authorization: ${demo.authorization}`,
    '',
    // No other line may contain "Authorization: ": scripts take the token with grep.
    `In Swagger UI (${docsUrl}): Authorize, paste the value from "Internal" on, then try`,
    `POST /api/users. With curl, pass the whole line above as a header: -H '<that line>'`,
    '',
  ].join('\n');
}
