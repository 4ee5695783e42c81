import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_ACTIONS = [
  'invitation.created',
  'invitation.refreshed',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'invitation.delivery_failed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Append-only record of what happened in an organisation, written in the same transaction. */
@Entity({ name: 'audit_log' })
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
  action!: AuditAction;

  @Column({ name: 'target_email', type: 'text', nullable: true })
  targetEmail!: string | null;

  @Column({ name: 'invitation_id', type: 'uuid', nullable: true })
  invitationId!: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
