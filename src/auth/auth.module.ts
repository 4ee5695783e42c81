import { Global, Module } from '@nestjs/common';
import { InternalTokenService } from './internal-token.service.js';

/** The token check; AppModule registers InternalAuthGuard as a global guard. */
@Global()
@Module({
  providers: [InternalTokenService],
  exports: [InternalTokenService],
})
export class AuthModule {}
