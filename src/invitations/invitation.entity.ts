import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { Organisation } from '../organisations/organisation.entity.js';
import { User } from '../users/user.entity.js';
import { oneOf } from '../database/check-constraints.js';

/** Stored state; `expired` as seen by clients is also derived from `expires_at` at read time. */
export const INVITATION_STATUSES = ['pending', 'accepted', 'revoked', 'expired'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const DELIVERY_STATUSES = ['queued', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

@Entity({ name: 'invitations' })
@Check('invitations_status_check', oneOf('status', INVITATION_STATUSES))
@Check(
  'invitations_delivery_status_check',
  `"delivery_status" IS NULL OR ${oneOf('delivery_status', DELIVERY_STATUSES)}`,
)
@Check('invitations_email_lowercase_check', `"email" = lower("email")`)
// At most one pending invitation per organisation and address: concurrent invites of the same
// address are settled by this index, not by application code.
@Index('invitations_one_pending_per_email', ['organisationId', 'email'], {
  unique: true,
  where: `"status" = 'pending'`,
})
@Index('invitations_token_hash_key', ['tokenHash'], { unique: true })
// Keyset pagination, newest first, inside one organisation.
@Index('invitations_org_created_idx', ['organisationId', 'createdAt', 'id'])
@Index('invitations_user_id_idx', ['userId'])
export class Invitation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: InvitationStatus;

  /**
   * SHA-256 of the accept token, hex. The token itself is never stored anywhere, not even in the
   * mail queue: the mail worker generates it when it sends, so null means "no working link yet"
   * (queued, or refreshed and not re-sent), and refreshing sets it back to null at once.
   */
  @Column({ name: 'token_hash', type: 'text', nullable: true })
  tokenHash!: string | null;

  @Column({ name: 'invited_by', type: 'uuid', nullable: true })
  invitedBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  /** When the last email for this invitation was queued. */
  @Column({ name: 'last_sent_at', type: 'timestamptz', nullable: true })
  lastSentAt!: Date | null;

  @Column({ name: 'send_count', type: 'integer', default: 0 })
  sendCount!: number;

  @Column({ name: 'delivery_status', type: 'text', nullable: true })
  deliveryStatus!: DeliveryStatus | null;

  @Column({ name: 'delivery_error', type: 'text', nullable: true })
  deliveryError!: string | null;

  @Column({ name: 'delivery_attempted_at', type: 'timestamptz', nullable: true })
  deliveryAttemptedAt!: Date | null;

  /**
   * Set by the mail worker while it sends the current token (`token_hash` not null): until then no
   * other worker sends this invitation, so one job never goes out twice at the same time.
   */
  @Column({ name: 'delivery_lease_until', type: 'timestamptz', nullable: true })
  deliveryLeaseUntil!: Date | null;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation?: Relation<Organisation>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;
}
