import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One row per person, shared across organisations. */
@Entity({ name: 'users' })
// Emails are stored lowercased, so a plain unique index is a case-insensitive one; the check keeps
// any writer (SQL console included) from breaking that assumption.
@Check('users_email_lowercase_check', `"email" = lower("email")`)
@Index('users_email_key', ['email'], { unique: true })
// listUsers' `search`: a pg_trgm GIN index over USER_SEARCH_SQL (users.repository.ts), written by
// hand in migration ServiceAccounts because TypeORM cannot declare an expression index.
@Index('users_search_trgm_idx', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  email!: string;

  /** GoRules' User `firstName`; null until the person or an admin sets it. */
  @Column({ name: 'first_name', type: 'text', nullable: true })
  firstName!: string | null;

  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName!: string | null;

  /**
   * A service account (createServiceAccount): never invited, never emailed; it authenticates with
   * personal access tokens. Fixed when the user is created.
   */
  @Column({ name: 'is_service', type: 'boolean', default: false })
  isService!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
