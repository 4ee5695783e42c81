import type { Transaction } from '../database/sql-transaction.js';

/** What the invitations service hands to mail delivery for one new or refreshed invitation. */
export interface InvitationEmailJob {
  invitationId: string;
  /** The invitation's `send_count` after this send was recorded; an older job is superseded. */
  generation: number;
}

/**
 * The transactional outbox for invitation emails. `enqueue` runs inside the caller's transaction
 * (through `tx`), so a rolled-back request enqueues nothing; the request never waits for SMTP.
 * All the jobs of one call are written by one statement.
 */
export abstract class InvitationOutbox {
  abstract enqueue(tx: Transaction, ...jobs: InvitationEmailJob[]): Promise<void>;
}
