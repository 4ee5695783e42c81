import { Global, Module } from '@nestjs/common';
import { UsersRepository } from '../users/users.repository.js';
import { OrganisationMembersRepository } from './organisation-members.repository.js';
import { OrganisationsRepository } from './organisations.repository.js';

/**
 * The repositories of organisations, their members and users. Global: the auth guard (registered
 * in AppModule), the CLI and the invitations feature read and write them.
 */
@Global()
@Module({
  providers: [OrganisationsRepository, OrganisationMembersRepository, UsersRepository],
  exports: [OrganisationsRepository, OrganisationMembersRepository, UsersRepository],
})
export class OrganisationsModule {}
