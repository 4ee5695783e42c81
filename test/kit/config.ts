import { AppConfig } from '../../src/config/app-config.js';
import { loadConfig, type RawEnv } from '../../src/config/config.schema.js';

/**
 * The configuration a test app would get, with some variables changed:
 * `override: (b) => b.overrideProvider(AppConfig).useValue(configWith({ INVITATION_TTL: '1h' }))`.
 */
export function configWith(overrides: RawEnv): AppConfig {
  return AppConfig.from(loadConfig({ ...process.env, ...overrides }));
}
