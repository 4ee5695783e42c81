import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined } from 'class-validator';
import { IsInviteEmail } from './invite-email.validator.js';

export const MAX_EMAILS_PER_REQUEST = 10;

const trimStrings = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value) ? value.map((v: unknown) => (typeof v === 'string' ? v.trim() : v)) : value;

/** Body of `POST /api/users` (inviteUsers). */
export class InviteUsersDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'email', description: 'Email address to invite' },
    description: 'List of email addresses to invite (max 10)',
  })
  @IsDefined({ message: 'is required' })
  @IsArray({ message: 'must be an array of email addresses' })
  @ArrayMinSize(1, { message: 'must contain at least 1 address' })
  @ArrayMaxSize(MAX_EMAILS_PER_REQUEST, {
    message: `must contain at most ${MAX_EMAILS_PER_REQUEST} addresses`,
  })
  @IsInviteEmail({ each: true })
  @Transform(trimStrings)
  emails!: string[];
}
