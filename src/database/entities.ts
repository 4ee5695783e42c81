import { AuditLogEntry } from '../audit/audit-log-entry.entity.js';
import { Invitation } from '../invitations/invitation.entity.js';
import { OrganisationMember } from '../organisations/organisation-member.entity.js';
import { Organisation } from '../organisations/organisation.entity.js';
import { PersonalAccessToken } from '../personal-access-tokens/personal-access-token.entity.js';
import { RateLimitEntry } from '../rate-limit/rate-limit.entity.js';
import { MemberRole } from '../roles/member-role.entity.js';
import { Role } from '../roles/role.entity.js';
import { User } from '../users/user.entity.js';

/** Every entity, listed explicitly (no globs: they break under ESM and hide what is loaded). */
export const ENTITIES = [
  Organisation,
  User,
  OrganisationMember,
  Invitation,
  AuditLogEntry,
  RateLimitEntry,
  PersonalAccessToken,
  Role,
  MemberRole,
];
