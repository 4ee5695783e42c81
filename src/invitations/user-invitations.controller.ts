import { Body, Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { CurrentPrincipal, InternalAuth } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { InvitationDto, SentInvitationDto, toInvitationDto } from './dto/invitation.dto.js';
import { InviteUsersDto } from './dto/invite-users.dto.js';
import { InvitationsService } from './invitations.service.js';
import { uuidParam } from '../common/uuid-param.js';

const USER_ID_DESCRIPTION = 'Unique identifier of the invited user';

/** The `User` operations: invite, resend and revoke. */
@Controller('api/users')
@ApiTags('User')
export class UserInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Post()
  @HttpCode(200)
  @InternalAuth('invitations:manage')
  @ApiOperation({
    operationId: 'inviteUsers',
    summary: 'Invite users',
    description:
      'Sends invitation emails to the specified email addresses to join the organisation.',
  })
  @ApiBody({ type: InviteUsersDto, required: true })
  // The reference puts the description on the array schema too; `type: [Dto]` would not.
  @ApiExtraModels(InvitationDto)
  @ApiOkResponse({
    description: 'List of created invitations',
    schema: {
      type: 'array',
      items: { $ref: getSchemaPath(InvitationDto) },
      description: 'List of created invitations',
    },
  })
  @ApiProblemResponses(400, 'alreadyMembers', 413, 415)
  async inviteUsers(
    @CurrentPrincipal() principal: Principal,
    @Body() body: InviteUsersDto,
  ): Promise<InvitationDto[]> {
    const invitations = await this.invitations.invite(principal, body.emails);
    return invitations.map(toInvitationDto);
  }

  @Post(':userId/invitation')
  @HttpCode(200)
  @InternalAuth('invitations:manage')
  @ApiOperation({
    operationId: 'sendUserInvitation',
    summary: 'Send a user invitation',
    description:
      'Sends or resends an invitation email to a user who has been invited but not yet accepted.',
  })
  @ApiParam({ name: 'userId', format: 'uuid', description: USER_ID_DESCRIPTION })
  @ApiOkResponse({ type: SentInvitationDto, description: 'The created invitation' })
  @ApiProblemResponses(400, 404, 409)
  async resendInvitation(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
  ): Promise<InvitationDto> {
    return toInvitationDto(await this.invitations.resend(principal, userId));
  }

  @Delete(':userId/invitation')
  // GoRules' route has no response schema, so its generator wrote 200 "Default Response": a 204
  // would be a status a GoRules client was never told about.
  @HttpCode(200)
  @InternalAuth('invitations:manage')
  @ApiOperation({
    operationId: 'revokeUserInvitation',
    summary: 'Revoke a user invitation',
    description:
      'Revokes a pending invitation for a user, preventing them from joining the organisation.',
  })
  @ApiParam({ name: 'userId', format: 'uuid', description: USER_ID_DESCRIPTION })
  @ApiOkResponse({ description: 'Default Response' })
  @ApiProblemResponses(400, 404)
  async revokeInvitation(
    @CurrentPrincipal() principal: Principal,
    @Param('userId', uuidParam) userId: string,
  ): Promise<void> {
    await this.invitations.revoke(principal, userId);
  }
}
