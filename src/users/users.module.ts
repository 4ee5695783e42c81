import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { RolesModule } from '../roles/roles.module.js';
import { UserListRepository } from './user-list.repository.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/** GoRules' User operations on members (inviteUsers and its siblings live in invitations/). */
@Module({
  imports: [AuditModule, RolesModule],
  controllers: [UsersController],
  providers: [UsersService, UserListRepository],
})
export class UsersModule {}
