import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Post,
  Query,
  UseFilters,
  applyDecorators,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../../auth/auth.decorators.js';
import { Clock } from '../../common/clock.js';
import { ProblemException } from '../../errors/problem.js';
import { RateLimit } from '../../rate-limit/rate-limit.guard.js';
import { expiryText } from '../expiry-text.js';
import { InvitationAcceptanceService } from '../invitation-acceptance.service.js';
import { personLabel } from '../../users/user-names.js';
import { INVITATION_TOKEN_FORMAT } from '../invitation-token.js';
import { AcceptPageProblemFilter } from './accept-page.filter.js';
import { ACCEPT_PAGE_HEADERS, renderAcceptPage, type AcceptPageState } from './accept-page.view.js';

/** Where the invitation email links to (`APP_URL` + this, unless INVITATION_ACCEPT_URL is set). */
export const ACCEPT_PAGE_PATH = 'invitations/accept';

/** Anything not shaped like a token cannot be one: it is never looked up. */
function tokenOf(value: unknown): string | undefined {
  return typeof value === 'string' && INVITATION_TOKEN_FORMAT.test(value) ? value : undefined;
}

/** Every answer of the page carries its headers; its refusals are pages too. */
const Page = () =>
  applyDecorators(
    ...Object.entries(ACCEPT_PAGE_HEADERS).map(([name, value]) => Header(name, value)),
    UseFilters(AcceptPageProblemFilter),
  );

/**
 * The page the invitation email links to: what the invitation is, and one Accept button that
 * works without JavaScript (a form POST). The JSON endpoint (`POST /api/invitations/accept`) stays
 * for a frontend of one's own. Not an API operation, so not in the OpenAPI document.
 */
@Controller(ACCEPT_PAGE_PATH)
@ApiExcludeController()
@Public()
export class AcceptPageController {
  constructor(
    private readonly acceptance: InvitationAcceptanceService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Page()
  async show(@Query('token') rawToken: unknown): Promise<string> {
    const token = tokenOf(rawToken);
    const invitation = token ? await this.acceptance.preview(token) : undefined;
    let state: AcceptPageState;
    if (!invitation) state = { kind: 'invalid' };
    else if (invitation.status === 'accepted') state = { kind: 'used' };
    else if (invitation.expired) state = { kind: 'expired' };
    else {
      state = {
        kind: 'pending',
        organisationName: invitation.organisationName,
        inviter:
          invitation.inviterEmail && personLabel(invitation.inviterEmail, invitation.inviterName),
        expires: invitation.expiresAt && expiryText(invitation.expiresAt, this.clock.now()),
      };
    }
    return renderAcceptPage(state, token);
  }

  @Post()
  @Page()
  @HttpCode(200)
  @RateLimit('accept')
  async accept(@Body() body: Record<string, unknown> | undefined): Promise<string> {
    const token = tokenOf(body?.token);
    if (!token) return renderAcceptPage({ kind: 'invalid' });
    try {
      await this.acceptance.accept(token);
    } catch (error) {
      if (!(error instanceof ProblemException)) throw error;
      return renderAcceptPage(PROBLEM_STATES[error.getStatus()] ?? { kind: 'invalid' });
    }
    const invitation = await this.acceptance.preview(token);
    return renderAcceptPage({
      kind: 'joined',
      organisationName: invitation?.organisationName ?? 'the organisation',
    });
  }
}

/** The acceptance service's refusals, in words. */
const PROBLEM_STATES: Record<number, AcceptPageState> = {
  404: { kind: 'invalid' },
  409: { kind: 'used' },
  410: { kind: 'expired' },
};
