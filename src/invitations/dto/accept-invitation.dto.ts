import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Matches } from 'class-validator';
import { isPresent, isText } from '../../common/validate-if.js';
import { INVITATION_TOKEN_FORMAT } from '../invitation-token.js';

/** Body of `POST /api/invitations/accept`: the token from the email's link, never in a URL. */
export class AcceptInvitationDto {
  @ApiProperty({ description: 'The token from the invitation link', minLength: 43, maxLength: 43 })
  @IsDefined({ message: 'is required' })
  @IsString({ message: 'must be a string', validateIf: isPresent })
  @Matches(INVITATION_TOKEN_FORMAT, {
    message: 'must be the 43-character token from the invitation link',
    validateIf: isText,
  })
  token!: string;
}
