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
import { OrganisationMember } from '../organisations/organisation-member.entity.js';

/** GoRules' token permissions (project-level: what a token may do inside the projects it names). */
export const PAT_PERMISSIONS = [
  'owner',
  'documents',
  'releases',
  'releases:manage',
  'releases:deploy',
  'releases:delete',
  'integrations:manage',
  'documents:full',
  'documents:view-content',
  'documents:edit-content',
  'documents:edit-view',
  'branches',
  'branches:create',
  'branches:merge',
  'branches:delete',
  'project:manage',
  'environments',
  'environments:manage',
  'environments:delete',
] as const;
export type PatPermission = (typeof PAT_PERMISSIONS)[number];

/**
 * A personal access token of one member of one organisation. The token itself is never stored:
 * only its SHA-256, which the guard looks up (one indexed equality) on every Bearer request.
 */
@Entity({ name: 'personal_access_tokens' })
@Check('personal_access_tokens_note_length_check', `char_length("note") BETWEEN 1 AND 100`)
@Index('personal_access_tokens_token_hash_key', ['tokenHash'], { unique: true })
// The listing of one member's tokens, oldest first.
@Index('personal_access_tokens_owner_idx', ['organisationId', 'userId', 'createdAt'])
export class PersonalAccessToken {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId!: string;

  /** The owner: the token acts as this member, with the member's current type. */
  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text' })
  note!: string;

  /** SHA-256 of the token, hex. Regenerating replaces it, so the old value stops working at once. */
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  permissions!: PatPermission[];

  @Column({ name: 'all_projects', type: 'boolean' })
  allProjects!: boolean;

  @Column({ type: 'uuid', array: true, default: () => `'{}'` })
  projects!: string[];

  /** Null only for the `indefinite` expiry. */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  /** Written at most once a minute per token (see PersonalAccessTokensRepository.touch). */
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  // The token lives exactly as long as its owner's membership: removing the member removes them.
  @ManyToOne(() => OrganisationMember, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'organisation_id', referencedColumnName: 'organisationId' },
    { name: 'user_id', referencedColumnName: 'userId' },
  ])
  member?: Relation<OrganisationMember>;
}
