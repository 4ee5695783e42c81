import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, InternalAuth } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { RequestId } from '../common/request-id.decorator.js';
import { InvitationDto, toInvitationDto } from './dto/invitation.dto.js';
import { InviteUsersDto } from './dto/invite-users.dto.js';
import { InvitationsService } from './invitations.service.js';

@Controller('api/users')
@ApiTags('User')
export class UsersInvitationsController {
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
  @ApiOkResponse({ type: [InvitationDto], description: 'List of created invitations' })
  async inviteUsers(
    @CurrentPrincipal() principal: Principal,
    @Body() body: InviteUsersDto,
    @RequestId() requestId: string | undefined,
  ): Promise<InvitationDto[]> {
    const invitations = await this.invitations.invite(principal, body.emails, requestId);
    return invitations.map(toInvitationDto);
  }
}
