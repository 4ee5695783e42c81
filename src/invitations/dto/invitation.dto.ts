import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { Invitation } from '../invitation.entity.js';

/** Statuses the published contract lists for an invitation in this response. */
export const RESPONSE_STATUSES = ['pending', 'accepted'] as const;

/** One invitation in the `inviteUsers` response, exactly as the reference spec describes it. */
export class InvitationDto {
  @ApiProperty({
    type: 'string',
    format: 'uuid',
    description: 'Unique identifier of the invitation',
  })
  id!: string;

  @ApiProperty({
    type: 'string',
    format: 'email',
    description: 'Email address the invitation was sent to',
  })
  email!: string;

  @ApiProperty({
    type: 'string',
    enum: RESPONSE_STATUSES,
    description: 'Current status of the invitation',
  })
  status!: (typeof RESPONSE_STATUSES)[number];

  @ApiProperty({
    type: 'string',
    format: 'uuid',
    description: 'ID of the user associated with this invitation',
  })
  userId!: string;

  @ApiProperty({ type: 'string', description: 'Timestamp when the invitation was created' })
  createdAt!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    required: false,
    description: 'Timestamp when the invitation expires',
  })
  expiresAt!: string | null;
}

/** sendUserInvitation's answer: the same invitation, under a schema GoRules describes. */
@ApiSchema({ name: 'SentInvitationDto', description: 'The created invitation' })
export class SentInvitationDto extends InvitationDto {}

type InvitationFields = Pick<Invitation, 'id' | 'email' | 'userId' | 'createdAt' | 'expiresAt'> & {
  status: InvitationDto['status'];
};

export function toInvitationDto(invitation: InvitationFields): InvitationDto {
  return {
    id: invitation.id,
    email: invitation.email,
    status: invitation.status,
    userId: invitation.userId,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt ? invitation.expiresAt.toISOString() : null,
  };
}
