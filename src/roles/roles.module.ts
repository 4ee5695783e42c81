import { Module } from '@nestjs/common';
import { MemberRolesRepository } from './member-roles.repository.js';
import { RolesRepository } from './roles.repository.js';
import { RolesService } from './roles.service.js';

/** The repositories of roles and of who holds them (users and the CLI write them). */
@Module({
  providers: [RolesRepository, MemberRolesRepository, RolesService],
  exports: [RolesRepository, MemberRolesRepository, RolesService],
})
export class RolesModule {}
