import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { ApiOperation, ApiTags } from '@nestjs/swagger';

import { HealthService } from './health.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: 200 while the process runs' })
  live(): Promise<HealthCheckResult> {
    return this.health.live();
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: 200 when Redis answers and the cross-instance bus works',
    description:
      'Otherwise 503, with each failing part (`shutdown`, `redis`, `bus`) under `error`. Turns 503 first thing on SIGTERM.',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.ready();
  }
}
