import { SignJWT } from 'jose';
import type { DataSource } from 'typeorm';
import type {
  MemberStatus,
  MemberType,
} from '../../src/organisations/organisation-member.entity.js';

/** The secret per-file-env.ts gives every test app (INTERNAL_AUTH_SECRET). */
export const TEST_SECRET = process.env.INTERNAL_AUTH_SECRET!;
export const TEST_ISSUER = 'brms';

export interface Member {
  userId: string;
  organisationId: string;
  email: string;
}

/** Creates an organisation, or adds a member to one; rows go straight into the database. */
export async function seedMember(
  dataSource: DataSource,
  options: {
    email: string;
    organisationId?: string;
    organisationName?: string;
    type?: MemberType;
    status?: MemberStatus;
    firstName?: string;
    lastName?: string;
  },
): Promise<Member> {
  const organisationId =
    options.organisationId ??
    (
      await dataSource.query<{ id: string }[]>(
        `INSERT INTO organisations (name) VALUES ($1) RETURNING id`,
        [options.organisationName ?? 'Acme'],
      )
    )[0].id;
  const [{ id: userId }] = await dataSource.query<{ id: string }[]>(
    `INSERT INTO users (email, first_name, last_name) VALUES ($1, $2, $3)
     ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
    [options.email.toLowerCase(), options.firstName ?? null, options.lastName ?? null],
  );
  await dataSource.query(
    `INSERT INTO organisation_members (organisation_id, user_id, type, status) VALUES ($1, $2, $3, $4)`,
    [organisationId, userId, options.type ?? 'owner', options.status ?? 'active'],
  );
  return { userId, organisationId, email: options.email.toLowerCase() };
}

export interface TokenOptions {
  secret?: string;
  issuer?: string;
  kid?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  /** Seconds from now for `iat` (positive: issued in the future). */
  issuedAt?: number;
  alg?: string;
  claims?: Record<string, unknown>;
}

/** Signs an internal token the way BRMS's identity component does, or wrongly on request. */
export async function mintToken(
  identity: { userId: string; organisationId: string },
  options: TokenOptions = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: options.alg ?? 'HS256', ...(options.kid ? { kid: options.kid } : {}) };
  return new SignJWT({ org: identity.organisationId, ...options.claims })
    .setProtectedHeader(header)
    .setSubject(identity.userId)
    .setIssuer(options.issuer ?? TEST_ISSUER)
    .setIssuedAt(now + (options.issuedAt ?? 0))
    .setExpirationTime(now + (options.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** `Authorization` header value for a member. */
export async function authHeader(member: Member, options?: TokenOptions): Promise<string> {
  return `Internal ${await mintToken(member, options)}`;
}

/** The member type of the user with `email` (in their one organisation), or undefined. */
export async function memberTypeOf(
  dataSource: DataSource,
  email: string,
): Promise<string | undefined> {
  const rows = await dataSource.query<{ type: string }[]>(
    `SELECT m.type FROM organisation_members m JOIN users u ON u.id = m.user_id WHERE u.email = $1`,
    [email],
  );
  return rows[0]?.type;
}

export interface MintedPat {
  id: string;
  token: string;
  /** `Authorization` header value: `Bearer <token>`. */
  header: string;
}

/**
 * A personal access token for `member`, created through the API as a person would (POST
 * /api/personal-access-tokens with an internal token). `body` overrides the defaults.
 */
export async function mintPat(
  baseUrl: string,
  member: Member,
  body: Record<string, unknown> = {},
): Promise<MintedPat> {
  const res = await fetch(`${baseUrl}/api/personal-access-tokens`, {
    method: 'POST',
    headers: { Authorization: await authHeader(member), 'Content-Type': 'application/json' },
    body: JSON.stringify({ note: 'test token', allProjects: true, expiry: 'month', ...body }),
  });
  if (res.status !== 200) throw new Error(`mintPat: ${res.status} ${await res.text()}`);
  const { id, token } = (await res.json()) as { id: string; token: string };
  return { id, token, header: `Bearer ${token}` };
}
