import { Module } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { CommonModule } from './common/common.module.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ErrorsModule } from './errors/errors.module.js';
import { HealthModule } from './health/health.module.js';
import { InvitationsModule } from './invitations/invitations.module.js';

@Module({
  imports: [
    AppConfigModule,
    CommonModule,
    ErrorsModule,
    DatabaseModule,
    AuthModule,
    HealthModule,
    InvitationsModule,
  ],
})
export class AppModule {}
