import base from './jest.config.js';

/** `npm run test:reliability`: the fuzz, race, fault and scale-out scenarios (slower; CI runs them). */
export default {
  ...base,
  testMatch: ['<rootDir>/test/reliability/**/*.reliability-spec.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
