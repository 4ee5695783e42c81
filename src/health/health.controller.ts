import { Controller, Get, UseFilters } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProperty,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../auth/auth.decorators.js';
import { ShutdownState } from '../common/shutdown-state.js';
import { HealthCheckFailedFilter } from './health-check-failed.filter.js';
import { JobQueueHealthIndicator } from './job-queue.health.js';

/**
 * Terminus's own body. Declared here because @HealthCheck's documentation loads @nestjs/swagger
 * with a `require` that silently fails under Jest's ESM mode, which would make the served document
 * differ between tests and production.
 */
class HealthResultDto {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'], description: 'Overall status' })
  status!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Checks that are up' })
  info!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Checks that are down' })
  error!: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Every check' })
  details!: Record<string, unknown>;
}

/** A check that has not answered by then counts as down: a probe must not hang. */
const CHECK_TIMEOUT_MS = 1500;

@Public()
@ApiTags('Infrastructure')
@Controller('api/health')
@UseFilters(HealthCheckFailedFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly jobQueue: JobQueueHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process is up and serving HTTP; says nothing about its dependencies. */
  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({ type: HealthResultDto, description: 'The process is up' })
  live() {
    return this.health.check([]);
  }

  /**
   * 503 while PostgreSQL or the job queue does not answer, and from SIGTERM on: take the instance
   * out of rotation.
   */
  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOkResponse({
    type: HealthResultDto,
    description: 'Ready: database and job queue answer, not shutting down',
  })
  @ApiServiceUnavailableResponse({ type: HealthResultDto, description: 'Not ready' })
  ready() {
    return this.health.check([
      () => this.acceptingTraffic('acceptingTraffic'),
      () => this.db.pingCheck('database').withTimeout(CHECK_TIMEOUT_MS),
      () => this.jobQueue.pingCheck('jobQueue').withTimeout(CHECK_TIMEOUT_MS),
    ]);
  }

  /** Down from SIGTERM on (the body carries statuses only: HealthCheckFailedFilter). */
  private acceptingTraffic<const Key extends string>(key: Key) {
    const indicator = this.indicators.check(key);
    return this.shutdown.since ? indicator.down() : indicator.up();
  }
}
