import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { OrganisationMembersRepository } from '../organisations/organisation-members.repository.js';
import type { MemberStatus, MemberType } from '../organisations/organisation-member.entity.js';
import { PROBLEM_TYPES, ProblemException } from '../errors/problem.js';
import {
  IS_PUBLIC_KEY,
  PERMISSION_KEY,
  PERSONAL_ACCESS_TOKEN_KEY,
  type RequestWithPrincipal,
} from './auth.decorators.js';
import {
  InternalTokenService,
  InvalidTokenError,
  type InternalIdentity,
} from './internal-token.service.js';
import { PersonalAccessTokenVerifier } from './personal-access-token.verifier.js';
import { PERMISSIONS, type Permission } from './principal.js';

// Scheme name is case-insensitive (RFC 9110); the token is one JWS compact string.
const AUTHORIZATION = /^internal +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)\s*$/i;
const INTERNAL_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
// Any one credential after Bearer: its format is checked by the verifier, on the same path as
// an unknown token, so a malformed one is not answered faster.
const BEARER = /^bearer +(\S+)\s*$/i;

/** What the schemes a route takes are called in messages and in `WWW-Authenticate`. */
interface Schemes {
  challenge: string;
  takes: string;
  acceptsBearer: boolean;
}
const INTERNAL_ONLY: Schemes = {
  challenge: 'Internal',
  takes: 'Internal <token>',
  acceptsBearer: false,
};
const INTERNAL_OR_BEARER: Schemes = {
  challenge: 'Internal, Bearer',
  takes: 'Internal <token> or Bearer <personal access token>',
  acceptsBearer: true,
};

function unauthorized(schemes: Schemes, detail: string): ProblemException {
  return new ProblemException(401, {
    type: PROBLEM_TYPES.unauthorized,
    detail,
    headers: { 'WWW-Authenticate': schemes.challenge },
  });
}

/** What is wrong with an Authorization header that did not match: said about the one that came. */
function authorizationProblem(header: string | undefined, schemes: Schemes): string {
  const [scheme = '', ...rest] = (header ?? '').trim().split(/\s+/);
  if (!scheme) return `An Authorization: ${schemes.takes} header is required`;
  const lower = scheme.toLowerCase();
  if (lower === 'bearer' && rest[0]?.startsWith('brms_pat_') && !schemes.acceptsBearer) {
    return 'This operation does not take a personal access token: send Internal <token>';
  }
  if (lower === 'bearer' && schemes.acceptsBearer) {
    return rest.length === 0
      ? 'The Authorization header has no token after Bearer'
      : 'The Authorization header must hold one token after Bearer';
  }
  if (lower !== 'internal') {
    if (rest.length === 0 && (scheme.includes('.') || scheme.startsWith('brms_pat_'))) {
      return `The Authorization header has a token but no scheme: send ${schemes.takes}`;
    }
    // The scheme's name is echoed only when it looks like one (never a token pasted in its place).
    const named = /^[A-Za-z][A-Za-z0-9-]{0,19}$/.test(scheme)
      ? `the ${scheme} scheme`
      : 'another scheme';
    return `The Authorization header uses ${named}; this API takes ${schemes.takes}`;
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
 * Default-deny: every route needs a valid internal token unless marked `@Public()`, and routes
 * declared with `personalAccessToken` also take `Bearer <personal access token>`. Identity comes
 * from the token (an internal token is verified before anything touches the database; a personal
 * access token is one indexed lookup by its hash), authority from the database: the caller must
 * be an active member of the organisation holding the route's permission.
 */
@Injectable()
export class InternalAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: InternalTokenService,
    private readonly personalAccessTokens: PersonalAccessTokenVerifier,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly members: OrganisationMembersRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const schemes = this.reflector.getAllAndOverride<boolean>(PERSONAL_ACCESS_TOKEN_KEY, targets)
      ? INTERNAL_OR_BEARER
      : INTERNAL_ONLY;

    const req = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const header = req.header('authorization');
    const bearer = schemes.acceptsBearer ? BEARER.exec(header ?? '') : null;

    let identity: InternalIdentity;
    let member: { type: MemberType; status: MemberStatus } | undefined;
    let markUsed: (() => Promise<void>) | undefined;
    if (bearer && INTERNAL_TOKEN.test(bearer[1])) {
      // A JWT is no personal access token: say where it goes rather than that it is invalid.
      throw unauthorized(schemes, 'An internal token goes after Internal, not Bearer');
    }
    if (bearer) {
      // Only a refused token is a 401: a database outage during the lookup must reach the error
      // filter as the 503 with Retry-After it is, or a CI client would think its token revoked.
      const credential = await this.personalAccessTokens.verify(bearer[1]).catch((error) => {
        if (!(error instanceof InvalidTokenError)) throw error;
        throw unauthorized(schemes, 'The personal access token is invalid, expired or revoked');
      });
      identity = { userId: credential.userId, organisationId: credential.organisationId };
      member = credential;
      markUsed = () => this.personalAccessTokens.markUsed(credential);
    } else {
      const match = AUTHORIZATION.exec(header ?? '');
      if (!match) throw unauthorized(schemes, authorizationProblem(header, schemes));
      identity = await this.tokens.verify(match[1]).catch(() => {
        throw unauthorized(schemes, 'The token is invalid or expired');
      });
      member = await this.members.role(
        this.dataSource.manager,
        identity.organisationId,
        identity.userId,
      );
    }

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

    await markUsed?.();
    req.principal = { ...identity, type: member.type };
    return true;
  }
}
