import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import type { Relation } from 'typeorm';
import { Organisation } from '../organisations/organisation.entity.js';

/** A role of one organisation, assigned to its members through `member_roles`. */
@Entity({ name: 'roles' })
// One name per organisation whatever its case: unique (organisation_id, lower(name)), written by
// hand in migration Roles because TypeORM cannot declare an expression index.
@Index('roles_org_name_key', { synchronize: false })
// The target of member_roles' foreign key: a member can only hold a role of their organisation.
@Unique('roles_org_id_key', ['organisationId', 'id'])
export class Role {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organisation_id', type: 'uuid' })
  organisationId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @ManyToOne(() => Organisation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'organisation_id' })
  organisation?: Relation<Organisation>;
}
