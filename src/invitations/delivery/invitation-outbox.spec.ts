import type { EntityManager } from 'typeorm';
import { transactionDb } from '../../queue/job-queue.js';
import { jobIdFor } from './invitation-outbox.js';

describe('jobIdFor', () => {
  it('gives one UUID per invitation and generation', () => {
    const job = { invitationId: '0b7a6f1e-3c1d-4f7e-9a55-5f3a8f1d2c10', generation: 2 };
    const id = jobIdFor(job);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobIdFor({ ...job })).toBe(id);
    expect(jobIdFor({ ...job, generation: 3 })).not.toBe(id);
  });
});

describe('transactionDb', () => {
  it('refuses a manager outside a transaction', () => {
    const manager = { queryRunner: undefined } as unknown as EntityManager;
    expect(() => transactionDb(manager)).toThrow(/open transaction/);
  });
});
