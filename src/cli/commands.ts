import type { INestApplicationContext } from '@nestjs/common';
import { InternalTokenService } from '../auth/internal-token.service.js';
import type { PatExpiry } from '../personal-access-tokens/personal-access-token-expiry.js';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service.js';
import { RoleRefusedError, RolesService } from '../roles/roles.service.js';
import { CliUsageError } from './input.js';
import {
  OrganisationBootstrapService,
  type OrganisationOwner,
} from './organisation-bootstrap.service.js';

/** `bootstrap`: a new organisation, its owner, and a token for that owner. */
export async function bootstrap(
  context: INestApplicationContext,
  options: { org: string; owner: string; ttlSeconds: number },
): Promise<OrganisationOwner & { token: string }> {
  const owner = await context.get(OrganisationBootstrapService).create(options.org, options.owner);
  const token = await context.get(InternalTokenService).mint(owner, options.ttlSeconds);
  return { organisationId: owner.organisationId, userId: owner.userId, token };
}

/** `token`: a token for an active member of an organisation (not for a pending invitee). */
export async function token(
  context: INestApplicationContext,
  options: { org: string; user: string; ttlSeconds: number },
): Promise<string> {
  const member = await context
    .get(OrganisationBootstrapService)
    .activeMember(options.org, options.user);
  if (!member) {
    throw new CliUsageError(
      `user ${options.user} is not an active member of organisation ${options.org}`,
    );
  }
  return context
    .get(InternalTokenService)
    .mint({ organisationId: member.organisationId, userId: member.userId }, options.ttlSeconds);
}

/**
 * `token --pat`: a personal access token for an active member, for scripts and CI. It is a real
 * token of that member (listed, regenerated and deleted through the API like any other) and its
 * creation is audited with no actor: the operator is not a user.
 */
export async function personalAccessToken(
  context: INestApplicationContext,
  options: { org: string; user: string; note: string; expiry: PatExpiry },
): Promise<string> {
  const member = await context
    .get(OrganisationBootstrapService)
    .activeMember(options.org, options.user);
  if (!member) {
    throw new CliUsageError(
      `user ${options.user} is not an active member of organisation ${options.org}`,
    );
  }
  const { token } = await context
    .get(PersonalAccessTokensService)
    .create(null, member, { note: options.note, allProjects: true, expiry: options.expiry });
  return token;
}

/** `role create`: a role of an organisation, for updateUser to assign; answers its id. */
export async function createRole(
  context: INestApplicationContext,
  options: { org: string; name: string; description: string | null },
): Promise<string> {
  try {
    return await context.get(RolesService).create(options.org, options.name, options.description);
  } catch (error) {
    if (error instanceof RoleRefusedError) throw new CliUsageError(error.message);
    throw error;
  }
}
