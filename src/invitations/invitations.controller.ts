import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, InternalAuth, Public } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { RateLimit } from '../rate-limit/rate-limit.guard.js';
import { AcceptInvitationDto } from './dto/accept-invitation.dto.js';
import {
  InvitationListDto,
  ListInvitationsQueryDto,
  toInvitationListItemDto,
} from './dto/invitation-list.dto.js';
import { InvitationDto, toInvitationDto } from './dto/invitation.dto.js';
import { InvitationAcceptanceService } from './invitation-acceptance.service.js';
import { InvitationsQueryService } from './invitations-query.service.js';

/** The `Invitation` operations: list, and accept (public: the token is the credential). */
@Controller('api/invitations')
@ApiTags('Invitation')
export class InvitationsController {
  constructor(
    private readonly query: InvitationsQueryService,
    private readonly acceptance: InvitationAcceptanceService,
  ) {}

  @Get()
  @InternalAuth('invitations:manage', { personalAccessToken: true })
  @ApiOperation({
    operationId: 'listInvitations',
    summary: 'List invitations',
    description:
      'Retrieve a paginated list of invitations for the organisation with optional filtering by search term and status.',
  })
  @ApiOkResponse({ type: InvitationListDto, description: 'Paginated list of invitations' })
  @ApiProblemResponses(400)
  async listInvitations(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListInvitationsQueryDto,
  ): Promise<InvitationListDto> {
    const page = await this.query.list(principal.organisationId, query);
    return {
      results: page.rows.map(toInvitationListItemDto),
      paginate: page.paginate,
      nextCursor: page.nextCursor,
    };
  }

  @Post('accept')
  @HttpCode(200)
  @Public()
  @RateLimit('accept')
  @ApiOperation({
    operationId: 'acceptInvitation',
    summary: 'Accept invitation',
    description:
      'Accepts an invitation with the token from its email and makes the user a member. Single use.',
  })
  @ApiOkResponse({ type: InvitationDto, description: 'The accepted invitation' })
  @ApiProblemResponses(400, 404, 409, 410)
  async acceptInvitation(@Body() body: AcceptInvitationDto): Promise<InvitationDto> {
    return toInvitationDto(await this.acceptance.accept(body.token));
  }
}
