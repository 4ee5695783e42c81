import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { OrganisationBootstrapService } from '../cli/organisation-bootstrap.service.js';
import { OrganisationsModule } from '../organisations/organisations.module.js';
import { DemoService } from './demo.service.js';

/**
 * The development demo. Not imported by AppModule: main.ts loads it lazily (LazyModuleLoader)
 * only when it runs the demo, so production's module graph never holds it.
 */
@Module({
  imports: [AuthModule, OrganisationsModule],
  providers: [OrganisationBootstrapService, DemoService],
})
export class DemoModule {}
