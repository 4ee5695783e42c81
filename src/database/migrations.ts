import { Initial1795659633338 } from './migrations/1795659633338-Initial.js';

/** Every migration, in order. `npm run migration:generate` adds a file; add its class here. */
export const MIGRATIONS = [Initial1795659633338];
