import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OrganisationMembersRepository } from '../organisations/organisation-members.repository.js';
import { PROBLEM_TYPES, ProblemException } from '../errors/problem.js';
import { IS_PUBLIC_KEY, PERMISSION_KEY, type RequestWithPrincipal } from './auth.decorators.js';
import { InternalTokenService } from './internal-token.service.js';
import { PERMISSIONS, type Permission } from './principal.js';

// Scheme name is case-insensitive (RFC 9110); the token is one JWS compact string.
const AUTHORIZATION = /^internal +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i;

function unauthorized(detail: string): ProblemException {
  return new ProblemException(401, {
    type: PROBLEM_TYPES.unauthorized,
    detail,
    headers: { 'WWW-Authenticate': 'Internal' },
  });
}

const REQUIRED = 'An Authorization: Internal <token> header is required';

/** What is wrong with an Authorization header that did not match: said about the one that came. */
function authorizationProblem(header: string | undefined): string {
  const [scheme = '', ...rest] = (header ?? '').trim().split(/\s+/);
  if (!scheme) return REQUIRED;
  if (scheme.toLowerCase() !== 'internal') {
    if (rest.length === 0 && scheme.includes('.')) {
      return 'The Authorization header has a token but no scheme: send Internal <token>';
    }
    // The scheme's name is echoed only when it looks like one (never a token pasted in its place).
    const named = /^[A-Za-z][A-Za-z0-9-]{0,19}$/.test(scheme)
      ? `the ${scheme} scheme`
      : 'another scheme';
    return `The Authorization header uses ${named}; this API takes Internal <token>`;
  }
  if (rest.length === 0) return 'The Authorization header has no token after Internal';
  if (rest[0].toLowerCase() === 'internal') {
    return 'The Authorization header repeats the scheme: send Internal <token>, with Internal once';
  }
  if (rest.length > 1) return 'The Authorization header must hold one token after Internal';
  return 'The token after Internal is not a JWT (three base64url parts separated by dots)';
}

function forbidden(detail: string): ProblemException {
  return new ProblemException(403, { type: PROBLEM_TYPES.forbidden, detail });
}

/**
 * Default-deny: every route needs a valid internal token unless marked `@Public()`. Identity comes
 * from the token (verified before anything touches the database), authority from the database:
 * the caller must be an active member of the token's organisation holding the route's permission.
 */
@Injectable()
export class InternalAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: InternalTokenService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: OrganisationMembersRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const req = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const header = req.header('authorization');
    const match = AUTHORIZATION.exec(header ?? '');
    if (!match) throw unauthorized(authorizationProblem(header));

    const identity = await this.tokens.verify(match[1]).catch(() => {
      throw unauthorized('The token is invalid or expired');
    });

    const member = await this.members.role(
      this.dataSource.manager,
      identity.organisationId,
      identity.userId,
    );
    if (!member || member.status !== 'active' || member.type === 'invited') {
      throw forbidden('You are not an active member of this organisation');
    }

    const permission = this.reflector.getAllAndOverride<Permission | undefined>(
      PERMISSION_KEY,
      targets,
    );
    const allowed: readonly string[] | undefined = permission && PERMISSIONS[permission];
    if (allowed && !allowed.includes(member.type)) {
      throw forbidden('Your role in this organisation does not allow this action');
    }

    req.principal = { ...identity, type: member.type };
    return true;
  }
}
