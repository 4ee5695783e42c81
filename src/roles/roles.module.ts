import { Module } from '@nestjs/common';
import { MemberRolesRepository } from './member-roles.repository.js';
import { RolesRepository } from './roles.repository.js';

/** The repositories of roles and of who holds them (users and the CLI write them). */
@Module({
  providers: [RolesRepository, MemberRolesRepository],
  exports: [RolesRepository, MemberRolesRepository],
})
export class RolesModule {}
