import { isWellFormedText } from '../../common/well-formed.js';
import { ValidateBy, isEmail, type ValidationOptions } from 'class-validator';
import { withElementProblem } from '../../errors/validation.js';

export const MAX_EMAIL_LENGTH = 254;
const IS_INVITE_EMAIL = 'isInviteEmail';
// C0 controls, DEL and C1 controls: header injection (CR/LF) and invisible characters.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
// ajv-formats' `email` (full mode).
const DOT_ATOM_ADDRESS =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

/** Why `value` is not an address we can invite, or undefined when it is one. */
export function inviteEmailProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_EMAIL_LENGTH) return `must be at most ${MAX_EMAIL_LENGTH} characters`;
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control characters';
  if (!isWellFormedText(value)) return 'must be well-formed Unicode text';
  // What the common `format: email` validators (ajv-formats) accept, so our answers validate
  // against the contract: a dot-atom ASCII local part (no quotes, comments) and an ASCII domain
  // (IDN domains arrive here already in their A-label form, see InviteUsersDto).
  if (!DOT_ATOM_ADDRESS.test(value)) return 'must be a valid email address';
  // Beyond that: a TLD, and no IP-literal domains.
  const valid = isEmail(value, {
    allow_display_name: false,
    allow_ip_domain: false,
    require_tld: true,
    allow_utf8_local_part: false,
  });
  return valid ? undefined : 'must be a valid email address';
}

/** Validates an address to invite; with `{ each: true }` errors name the index (`emails[3]`). */
export function IsInviteEmail(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_INVITE_EMAIL,
      validator: {
        validate: (value: unknown) => inviteEmailProblem(value) === undefined,
        defaultMessage: () => 'must be a valid email address',
      },
    },
    withElementProblem(options, inviteEmailProblem),
  );
}
