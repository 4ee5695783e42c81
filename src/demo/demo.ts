import type { INestApplication } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InternalTokenService } from '../auth/internal-token.service.js';
import { OrganisationBootstrapService } from '../cli/organisation-bootstrap.service.js';

export const DEMO_ORGANISATION = 'Demo';
export const DEMO_OWNER_EMAIL = 'owner@demo.test';
export const DEMO_TOKEN_TTL_SECONDS = 24 * 3600;

export interface DemoAccess {
  organisationId: string;
  userId: string;
  /** True on the first start on this database, when the demo organisation was created. */
  created: boolean;
  /** `Internal <token>`, ready to paste as the Authorization header value. */
  authorization: string;
  expiresAt: Date;
}

/**
 * Zero-setup development (`npm start` with the embedded database, never in production): the
 * first start creates a demo organisation and owner; every start mints a day-long token for that
 * owner, so there is always something to paste into Swagger UI.
 */
export async function prepareDemo(app: INestApplication): Promise<DemoAccess> {
  const organisations = await app.get(ModuleRef).create(OrganisationBootstrapService);
  const owner = await organisations.ensure(DEMO_ORGANISATION, DEMO_OWNER_EMAIL);
  const token = await app.get(InternalTokenService).mint(owner, DEMO_TOKEN_TTL_SECONDS);
  return {
    ...owner,
    authorization: `Internal ${token}`,
    expiresAt: new Date(Date.now() + DEMO_TOKEN_TTL_SECONDS * 1000),
  };
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
