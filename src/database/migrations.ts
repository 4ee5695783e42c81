import { Initial1795660028275 } from './migrations/1795660028275-Initial.js';
import { MailDelivery1795660794544 } from './migrations/1795660794544-MailDelivery.js';
import { RateLimits1795660905258 } from './migrations/1795660905258-RateLimits.js';
import { UserNames1796430597410 } from './migrations/1796430597410-UserNames.js';
import { InvitationCounts1796460000000 } from './migrations/1796460000000-InvitationCounts.js';
import { ServiceAccounts1796677694165 } from './migrations/1796677694165-ServiceAccounts.js';
import { AuditLogGoRules1796677770519 } from './migrations/1796677770519-AuditLogGoRules.js';
import { PersonalAccessTokens1796677897925 } from './migrations/1796677897925-PersonalAccessTokens.js';
import { AuditLogActorIndex1796680079240 } from './migrations/1796680079240-AuditLogActorIndex.js';

/** Every migration, in order. `npm run migration:generate` adds a file; add its class here. */
export const MIGRATIONS = [
  Initial1795660028275,
  MailDelivery1795660794544,
  RateLimits1795660905258,
  UserNames1796430597410,
  InvitationCounts1796460000000,
  ServiceAccounts1796677694165,
  AuditLogGoRules1796677770519,
  PersonalAccessTokens1796677897925,
  AuditLogActorIndex1796680079240,
];
