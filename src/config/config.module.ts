import { Global, Module } from '@nestjs/common';
import { AppConfig } from './app-config.js';
import { loadConfig, readEnvironment } from './config.schema.js';
import { devSecretFor } from './dev-secret.js';

/**
 * Validates the environment when the app is built (not when this file is imported) and exposes it
 * as the typed `AppConfig` provider. Nothing else reads process.env.
 */
@Global()
@Module({
  providers: [
    {
      provide: AppConfig,
      useFactory: () => {
        const env = readEnvironment();
        return AppConfig.from(loadConfig(env, devSecretFor(env)));
      },
    },
  ],
  exports: [AppConfig],
})
export class AppConfigModule {}
