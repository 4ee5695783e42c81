import { Injectable } from '@nestjs/common';
import { InternalTokenService } from '../auth/internal-token.service.js';
import { OrganisationBootstrapService } from '../cli/organisation-bootstrap.service.js';
import { Clock } from '../common/clock.js';

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
@Injectable()
export class DemoService {
  constructor(
    private readonly organisations: OrganisationBootstrapService,
    private readonly tokens: InternalTokenService,
    private readonly clock: Clock,
  ) {}

  async prepare(): Promise<DemoAccess> {
    const owner = await this.organisations.ensure(DEMO_ORGANISATION, DEMO_OWNER_EMAIL);
    const issuedAt = this.clock.now();
    const token = await this.tokens.mint(owner, DEMO_TOKEN_TTL_SECONDS);
    return {
      ...owner,
      authorization: `Internal ${token}`,
      expiresAt: new Date(issuedAt.getTime() + DEMO_TOKEN_TTL_SECONDS * 1000),
    };
  }
}
