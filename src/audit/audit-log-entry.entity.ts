import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** GoRules' categories of an audited resource (the `type` enum of its Audit log operations). */
export const AUDIT_TYPES = [
  'organisation',
  'user',
  'group',
  'accessToken',
  'project',
  'document',
  'release',
  'member',
  'personalAccessToken',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export const AUDIT_ACTIONS = [
  'invitation.created',
  'invitation.refreshed',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'invitation.delivery_failed',
  'user.updated',
  'user.service_account_created',
  'personalAccessToken.created',
  'personalAccessToken.regenerated',
  'personalAccessToken.deleted',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Append-only record of what happened in an organisation, written in the same transaction as the
 * change. A trigger refuses UPDATE and DELETE (migration AuditLogGoRules).
 */
@Entity({ name: 'audit_log' })
// The default order of listAuditLogs (newest first, id as tie-break), read backwards.
@Index('audit_log_org_created_idx', ['organisationId', 'createdAt', 'id'])
export class AuditLogEntry {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId!: string;

  /** The user who acted; null for the system (e.g. the mail worker). */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId!: string | null;

  @Column({ type: 'text' })
  type!: AuditType;

  @Column({ type: 'text' })
  action!: AuditAction;

  /** The affected resource. */
  @Column({ name: 'ref_id', type: 'uuid', nullable: true })
  refId!: string | null;

  /** Before/after values and other details; never a secret or a token. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  data!: Record<string, unknown>;

  // Text, not inet: an address the database would refuse must never fail the audited change.
  @Column({ name: 'ip_address', type: 'text', nullable: true })
  ipAddress!: string | null;

  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent!: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
