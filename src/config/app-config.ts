import type {
  AppConfigValues,
  AuthConfig,
  DatabaseConfig,
  HttpConfig,
  HttpSecurityConfig,
  InvitationsConfig,
  MailConfig,
  NodeEnv,
  RateLimitsConfig,
} from './config.schema.js';

/**
 * The typed configuration, injected by class. Built once at boot from the validated environment;
 * tests replace it with `overrideProvider(AppConfig).useValue(...)`.
 */
export class AppConfig implements AppConfigValues {
  readonly nodeEnv!: NodeEnv;
  readonly http!: HttpConfig;
  readonly database!: DatabaseConfig;
  readonly auth!: AuthConfig;
  readonly invitations!: InvitationsConfig;
  readonly mail!: MailConfig;
  readonly rateLimits!: RateLimitsConfig;
  readonly httpSecurity!: HttpSecurityConfig;
  readonly logLevel!: string;

  static from(values: AppConfigValues): AppConfig {
    return Object.assign(new AppConfig(), values);
  }

  get production(): boolean {
    return this.nodeEnv === 'production';
  }
}
