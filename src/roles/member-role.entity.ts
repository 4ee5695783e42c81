import { Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Relation } from 'typeorm';
import { OrganisationMember } from '../organisations/organisation-member.entity.js';
import { Role } from './role.entity.js';

/**
 * Which member holds which role. Both foreign keys carry the organisation, so the database itself
 * refuses a role of another organisation, and a member's or role's removal takes its rows along.
 */
@Entity({ name: 'member_roles' })
@Index('member_roles_role_idx', ['organisationId', 'roleId'])
export class MemberRole {
  @PrimaryColumn({ name: 'organisation_id', type: 'uuid' })
  organisationId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ name: 'role_id', type: 'uuid' })
  roleId!: string;

  @ManyToOne(() => OrganisationMember, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'organisation_id', referencedColumnName: 'organisationId' },
    { name: 'user_id', referencedColumnName: 'userId' },
  ])
  member?: Relation<OrganisationMember>;

  @ManyToOne(() => Role, { onDelete: 'CASCADE' })
  @JoinColumn([
    { name: 'organisation_id', referencedColumnName: 'organisationId' },
    { name: 'role_id', referencedColumnName: 'id' },
  ])
  role?: Relation<Role>;
}
