import { inviteEmailProblem } from '../invitations/dto/invite-email.validator.js';
// The rule ParseUUIDPipe applies to path parameters, so every id is checked alike.
import { isUUID } from 'class-validator';
import { durationMs } from '../common/duration.js';
import {
  PAT_EXPIRIES,
  type PatExpiry,
} from '../personal-access-tokens/personal-access-token-expiry.js';

/** Refused input to a CLI command; its message is shown as is. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

const MAX_ORGANISATION_NAME = 200;
const MAX_TTL_SECONDS = 30 * 24 * 3600;

export function organisationName(value: string): string {
  const name = value.trim();
  if (!name || name.length > MAX_ORGANISATION_NAME) {
    throw new CliUsageError(`organisation name must be 1 to ${MAX_ORGANISATION_NAME} characters`);
  }
  return name;
}

/** An address the service could also invite; stored lowercased, like every user email. */
export function ownerEmail(value: string): string {
  const email = value.trim();
  const problem = inviteEmailProblem(email);
  if (problem) throw new CliUsageError(`owner email ${problem}`);
  return email.toLowerCase();
}

export function uuid(value: string): string {
  if (!isUUID(value)) throw new CliUsageError(`must be a UUID (got "${value}")`);
  return value.toLowerCase();
}

/** `1h`, `30m`, `7d` or whole seconds (`3600`) as seconds; 1 second to 30 days. */
export function ttlSeconds(value: string): number {
  const millis = durationMs(value);
  const seconds = millis === undefined ? NaN : Math.floor(millis / 1000);
  if (Number.isNaN(seconds) || seconds < 1 || seconds > MAX_TTL_SECONDS) {
    throw new CliUsageError(`must be a duration from 1s to 30d, such as 1h (got "${value}")`);
  }
  return seconds;
}

/** A personal access token's note: 1 to 100 characters, as the API takes it. */
export function patNote(value: string): string {
  const note = value.trim();
  // eslint-disable-next-line no-control-regex
  if (!note || note.length > 100 || /[\u0000-\u001f\u007f]/.test(note)) {
    throw new CliUsageError('note must be 1 to 100 characters, without control characters');
  }
  return note;
}

export function patExpiry(value: string): PatExpiry {
  if (!(PAT_EXPIRIES as readonly string[]).includes(value)) {
    throw new CliUsageError(`must be one of ${PAT_EXPIRIES.join(', ')} (got "${value}")`);
  }
  return value as PatExpiry;
}

const MAX_ROLE_NAME = 100;
const MAX_ROLE_DESCRIPTION = 500;

export function roleName(value: string): string {
  const name = value.trim();
  if (!name || name.length > MAX_ROLE_NAME) {
    throw new CliUsageError(`role name must be 1 to ${MAX_ROLE_NAME} characters`);
  }
  return name;
}

export function roleDescription(value: string): string {
  const description = value.trim();
  if (description.length > MAX_ROLE_DESCRIPTION) {
    throw new CliUsageError(`role description must be at most ${MAX_ROLE_DESCRIPTION} characters`);
  }
  return description;
}
