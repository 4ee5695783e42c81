import {
  Check,
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  type Relation,
} from 'typeorm';
import { User } from '../users/user.entity.js';
import { Organisation } from './organisation.entity.js';
import { oneOf } from '../database/check-constraints.js';

/** GoRules BRMS user types, least to most privileged. */
export const MEMBER_TYPES = ['invited', 'member', 'author', 'admin', 'owner'] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];

/** GoRules' user statuses. Only `active` members are let in; `disabled` and `locked` are refused alike. */
export const MEMBER_STATUSES = ['active', 'disabled', 'locked'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

@Entity({ name: 'organisation_members' })
@Check('organisation_members_type_check', oneOf('type', MEMBER_TYPES))
@Check('organisation_members_status_check', oneOf('status', MEMBER_STATUSES))
@Index('organisation_members_user_id_idx', ['userId'])
// listUsers' pages, newest first, with and without its isService filter.
@Index('organisation_members_org_created_idx', ['organisationId', 'createdAt', 'userId'])
@Index('organisation_members_org_service_created_idx', [
  'organisationId',
  'isService',
  'createdAt',
  'userId',
])
export class OrganisationMember {
  @PrimaryColumn({ name: 'organisation_id', type: 'uuid' })
  organisationId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  type!: MemberType;

  @Column({ type: 'text', default: 'active' })
  status!: MemberStatus;

  /**
   * The user's `users.is_service`, copied by a trigger on insert (migration ServiceAccounts): a
   * user's kind never changes, and with it here listUsers' isService filter and its kept count
   * (`member_counts`) read this table alone.
   */
  @Column({ name: 'is_service', type: 'boolean', default: false })
  isService!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation?: Relation<Organisation>;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: Relation<User>;
}
