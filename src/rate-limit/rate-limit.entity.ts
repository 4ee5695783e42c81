import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The counters of rate-limiter-flexible's PostgreSQL store, in the shape that library expects
 * (it would create the table itself; declaring it here keeps the schema in the generated
 * migrations). Shared by every instance of the service, so limits hold across a scaled-out fleet.
 */
@Entity({ name: 'rate_limits' })
export class RateLimitEntry {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'integer', default: 0 })
  points!: number;

  /** Epoch milliseconds when the window ends. */
  @Column({ type: 'bigint', nullable: true })
  expire!: string | null;
}
