import {
  Catch,
  ServiceUnavailableException,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import type { Response } from 'express';

/** Each check's status and timing only: its message may name hosts and ports. */
function withoutMessages(
  checks: Partial<HealthIndicatorResult> | undefined,
): HealthIndicatorResult {
  const result: HealthIndicatorResult = {};
  for (const [key, check] of Object.entries(checks ?? {})) {
    if (!check) continue;
    const { status, responseTime } = check;
    result[key] = responseTime === undefined ? { status } : { status, responseTime };
  }
  return result;
}

/**
 * A failed readiness check answers 503 with terminus's body (`status`, `info`, `error`, `details`:
 * which dependency is down), as the OpenAPI document declares for these operations, instead of
 * the generic problem+json the global filter would make of it. The endpoint is public, so the
 * checks' error messages stay in the log (terminus logs them) and out of the body.
 */
@Catch(ServiceUnavailableException)
export class HealthCheckFailedFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    const result = exception.getResponse() as HealthCheckResult;
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(exception.getStatus())
      .json({
        status: result.status,
        info: withoutMessages(result.info),
        error: withoutMessages(result.error),
        details: withoutMessages(result.details),
      });
  }
}
