import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One row per person, shared across organisations. */
@Entity({ name: 'users' })
// Emails are stored lowercased, so a plain unique index is a case-insensitive one; the check keeps
// any writer (SQL console included) from breaking that assumption.
@Check('users_email_lowercase_check', `"email" = lower("email")`)
@Index('users_email_key', ['email'], { unique: true })
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

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
