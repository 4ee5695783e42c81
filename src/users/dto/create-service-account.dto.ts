import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional } from 'class-validator';
import { IsInviteEmail, MAX_EMAIL_LENGTH } from '../../invitations/dto/invite-email.validator.js';

export const SERVICE_ACCOUNT_TYPES = ['admin', 'member'] as const;
export type ServiceAccountType = (typeof SERVICE_ACCOUNT_TYPES)[number];

/** Body of `POST /api/users/service` (createServiceAccount). */
export class CreateServiceAccountDto {
  /** Checked as an invited address is (one rule for every address), stored lowercased. */
  @ApiProperty({
    type: 'string',
    maxLength: MAX_EMAIL_LENGTH,
    description: 'Email address for the service account',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsInviteEmail()
  email!: string;

  @ApiPropertyOptional({
    type: 'string',
    enum: SERVICE_ACCOUNT_TYPES,
    default: 'member',
    description: 'User type for the service account',
  })
  @IsOptional()
  @IsIn(SERVICE_ACCOUNT_TYPES)
  type?: ServiceAccountType;
}
