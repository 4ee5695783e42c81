import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { CommonModule } from '../common/common.module.js';
import { AppConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { OrganisationsModule } from '../organisations/organisations.module.js';
import { RolesModule } from '../roles/roles.module.js';
import { OrganisationBootstrapService } from './organisation-bootstrap.service.js';

/**
 * What the CLI's commands need: configuration, the database (migrated on start, like the server)
 * token minting and roles. No HTTP, no mail worker.
 */
@Module({
  imports: [
    AppConfigModule,
    CommonModule,
    DatabaseModule,
    OrganisationsModule,
    AuthModule,
    RolesModule,
  ],
  providers: [OrganisationBootstrapService],
})
export class CliModule {}
