import { Global, Module } from '@nestjs/common';
import { PersonalAccessTokensModule } from '../personal-access-tokens/personal-access-tokens.module.js';
import { InternalTokenService } from './internal-token.service.js';
import { PersonalAccessTokenVerifier } from './personal-access-token.verifier.js';

/** The token checks; AppModule registers InternalAuthGuard as a global guard. */
@Global()
@Module({
  imports: [PersonalAccessTokensModule],
  providers: [InternalTokenService, PersonalAccessTokenVerifier],
  exports: [InternalTokenService, PersonalAccessTokenVerifier],
})
export class AuthModule {}
