import { isWellFormedText } from '../../common/well-formed.js';
import { domainToASCII } from 'node:url';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined } from 'class-validator';
import { isList, isPresent } from '../../common/validate-if.js';
import { IsInviteEmail } from './invite-email.validator.js';

export const MAX_EMAILS_PER_REQUEST = 10;

/**
 * Trimmed, with an IDN domain in its A-label form (`bücher.example` → `xn--bcher-kva.example`):
 * the same address, in the form `format: email` validators accept. A domain that has no A-label
 * form stays as written, for the validator to refuse.
 */
function normaliseAddress(value: string): string {
  const address = value.trim();
  const at = address.lastIndexOf('@');
  if (at < 0 || !isWellFormedText(address)) return address;
  const domain = domainToASCII(address.slice(at + 1));
  return domain ? `${address.slice(0, at + 1)}${domain}` : address;
}

const normaliseAddresses = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value)
    ? value.map((v: unknown) => (typeof v === 'string' ? normaliseAddress(v) : v))
    : value;

/** Body of `POST /api/users` (inviteUsers). */
export class InviteUsersDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'string', format: 'email', description: 'Email address to invite' },
    description: 'List of email addresses to invite (max 10)',
  })
  @IsDefined({ message: 'is required' })
  @IsArray({ message: 'must be an array of email addresses', validateIf: isPresent })
  @ArrayMinSize(1, { message: 'must contain at least 1 address', validateIf: isList })
  @ArrayMaxSize(MAX_EMAILS_PER_REQUEST, {
    message: `must contain at most ${MAX_EMAILS_PER_REQUEST} addresses`,
    validateIf: isList,
  })
  @IsInviteEmail({ each: true, validateIf: isList })
  @Transform(normaliseAddresses)
  emails!: string[];
}
