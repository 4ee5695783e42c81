import { Global, Module } from '@nestjs/common';
import { ConfigModule, registerAs, type ConfigType } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { loadConfig, readEnvironment } from './config.schema.js';
import { devSecretFor } from './dev-secret.js';

/**
 * The validated environment as @nestjs/config's `app` namespace. `forFeature` runs the factory
 * when the app is built, not when this file is imported (as `forRoot({ load })` would).
 */
export const appConfig = registerAs('app', () => {
  const env = readEnvironment();
  return loadConfig(env, devSecretFor(env));
});

/**
 * Exposes the configuration as the typed `AppConfig` provider, which tests replace with
 * `overrideProvider(AppConfig)`. Nothing else reads process.env.
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), ConfigModule.forFeature(appConfig)],
  providers: [
    {
      provide: AppConfig,
      useFactory: (values: ConfigType<typeof appConfig>) => AppConfig.from(values),
      inject: [appConfig.KEY],
    },
  ],
  exports: [AppConfig],
})
export class AppConfigModule {}
