import type { AppConfigValues, NodeEnv } from './config.schema.js';

/**
 * The typed configuration, injected by class. Built once at boot from the validated environment;
 * tests replace it with `overrideProvider(AppConfig).useValue(...)`.
 */
export class AppConfig implements AppConfigValues {
  readonly nodeEnv!: NodeEnv;
  readonly http!: AppConfigValues['http'];
  readonly database!: AppConfigValues['database'];
  readonly auth!: AppConfigValues['auth'];
  readonly invitations!: AppConfigValues['invitations'];
  readonly mail!: AppConfigValues['mail'];
  readonly rateLimits!: AppConfigValues['rateLimits'];
  readonly httpSecurity!: AppConfigValues['httpSecurity'];
  readonly logLevel!: AppConfigValues['logLevel'];

  static from(values: AppConfigValues): AppConfig {
    return Object.assign(new AppConfig(), values);
  }

  get production(): boolean {
    return this.nodeEnv === 'production';
  }
}
