import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ProblemException } from '../../errors/problem.js';
import { ACCEPT_PAGE_HEADERS, renderAcceptPage } from './accept-page.view.js';

/**
 * A person at the accept page gets a page, not problem+json: the per-address limit on accepting
 * (429, from the rate-limit guard) says in words when to try again, with Retry-After kept. The
 * acceptance service's own refusals are answered by the controller; anything else is left to the
 * global filter.
 */
@Catch(ProblemException)
export class AcceptPageProblemFilter implements ExceptionFilter {
  catch(exception: ProblemException, host: ArgumentsHost): void {
    const status = exception.getStatus();
    const retryAfter = Number(exception.problem.headers?.['Retry-After']);
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(status)
      .set({ ...ACCEPT_PAGE_HEADERS, ...exception.problem.headers })
      .send(
        renderAcceptPage(
          status === 429 && retryAfter > 0
            ? { kind: 'busy', retryAfterSeconds: retryAfter }
            : { kind: 'failed' },
        ),
      );
  }
}
