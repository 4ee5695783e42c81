import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { InternalAuthGuard } from './internal-auth.guard.js';
import { InternalTokenService } from './internal-token.service.js';

/** Registers InternalAuthGuard globally: routes are protected unless marked `@Public()`. */
@Global()
@Module({
  providers: [InternalTokenService, { provide: APP_GUARD, useClass: InternalAuthGuard }],
  exports: [InternalTokenService],
})
export class AuthModule {}
