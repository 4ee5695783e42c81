import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { loadConfig, type AppConfigValues, type RawEnv } from './config.schema.js';
import { devSecretFor } from './dev-secret.js';

const APP_CONFIG_KEY = 'app';

/**
 * Validates the environment once at boot (via @nestjs/config's `validate`) and exposes it as the
 * typed `AppConfig` provider. Nothing else reads process.env.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forRoot({
      validate: (raw: RawEnv) => ({ [APP_CONFIG_KEY]: loadConfig(raw, devSecretFor(raw)) }),
    }),
  ],
  providers: [
    {
      provide: AppConfig,
      inject: [ConfigService],
      useFactory: (config: ConfigService) =>
        AppConfig.from(config.getOrThrow<AppConfigValues>(APP_CONFIG_KEY)),
    },
  ],
  exports: [AppConfig],
})
export class AppConfigModule {}
