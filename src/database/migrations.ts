import { Initial1795660028275 } from './migrations/1795660028275-Initial.js';

/** Every migration, in order. `npm run migration:generate` adds a file; add its class here. */
export const MIGRATIONS = [Initial1795660028275];
