import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';

export interface RateLimitPolicy {
  /** Allowed cost per window; 0 switches the policy off. */
  points: (config: AppConfig) => number;
  windowSeconds: number;
  /** Said in the 429's detail. */
  describe: string;
}

/** The client's address, as Express sees it (`TRUST_PROXY` decides whether X-Forwarded-For counts). */
export const clientAddress = (req: Request): string =>
  req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** Every limit the service applies, by name. */
export const RATE_LIMIT_POLICIES = {
  /** Per client address, on every route that is not @Public (those carry their own limits). */
  requests: {
    points: (config) => config.rateLimits.requestsPerMinute,
    windowSeconds: 60,
    describe: 'Too many requests from this address',
  },
  /** Per client address, on the public accept endpoint. */
  accept: {
    points: (config) => config.rateLimits.acceptPerMinute,
    windowSeconds: 60,
    describe: 'Too many accept attempts from this address',
  },
  /** Per organisation, one point per address invited or re-invited. */
  invitations: {
    points: (config) => config.rateLimits.invitationsPerHour,
    windowSeconds: 3600,
    describe: 'This organisation has sent too many invitations this hour',
  },
} satisfies Record<string, RateLimitPolicy>;

export type RateLimitName = keyof typeof RATE_LIMIT_POLICIES;
