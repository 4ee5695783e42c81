import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

/** Body of `POST /api/invitations/accept`: the token from the email's link, never in a URL. */
export class AcceptInvitationDto {
  @ApiProperty({ description: 'The token from the invitation link', minLength: 43, maxLength: 43 })
  @IsString()
  @Length(43, 43, { message: 'must be the 43-character token from the invitation link' })
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'must be the token from the invitation link' })
  token!: string;
}
