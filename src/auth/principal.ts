import type { MemberType } from '../organisations/organisation-member.entity.js';

/** The authenticated caller: identity from the token, type from the database. */
export interface Principal {
  userId: string;
  organisationId: string;
  type: MemberType;
}

/** What a decorated route may require; each permission lists the member types that hold it. */
export const PERMISSIONS = {
  'invitations:manage': ['owner', 'admin'],
  'audit-log:read': ['owner', 'admin'],
  // Every member manages their own personal access tokens; owners and admins a service account's.
  'personal-access-tokens:own': ['owner', 'admin', 'author', 'member'],
  'service-accounts:manage': ['owner', 'admin'],
  'users:read': ['owner', 'admin'],
  'users:manage': ['owner', 'admin'],
} as const satisfies Record<string, readonly MemberType[]>;

export type Permission = keyof typeof PERMISSIONS;
