import 'reflect-metadata';

import { INestApplication, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { SecureContextOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

import { AuthService } from '@app/auth';
import { busTransportOptions } from '@app/pubsub';

import { assertRedisReachable, BootError, loadTls } from './bootstrap-checks';
import { ChatWsAdapter } from './chat/chat-ws.adapter';
import { launchEnv } from './config/launch-args';
import { SettingsError, validateSettings } from './config/settings';
import { HealthService } from './health/health.service';
import { httpErrorHandler } from './http/http-errors';
import { ChatLogger, logFormat } from './logging/chat-logger';
import { MetricsService } from './metrics/metrics.service';
import { serveOpenApi } from './openapi/open-api';
import { serveWebPage } from './web/web-page';

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function bootstrap(): Promise<void> {
  process.env = launchEnv(process.argv.slice(2), process.env);
  const settings = validateSettings(process.env);
  const tls = await loadTls(settings);
  await assertRedisReachable(settings.REDIS_URL);

  const chatLogger = new ChatLogger(
    logFormat(settings.LOG_FORMAT),
    settings.LOG_LEVEL,
  );
  Logger.overrideLogger(chatLogger);

  const { AppModule } = await import('./app.module.js');
  const httpsOptions: SecureContextOptions = {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
  };
  // Browsers keep idle keep-alive connections open, which would hold `app.close()` until the shutdown timeout.
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    httpsOptions,
    logger: chatLogger,
    bodyParser: false,
    forceCloseConnections: true,
  });
  app.useBodyParser('json', { limit: '16kb' });
  app.use(httpErrorHandler);
  serveWebPage(app);
  serveOpenApi(app);
  app.useWebSocketAdapter(
    new ChatWsAdapter(app, {
      maxFrameBytes: settings.WS_MAX_FRAME_BYTES,
      ratePerSecond: settings.RATE_LIMIT_PER_SECOND,
      rateBurst: settings.RATE_LIMIT_BURST,
      verifyToken: (token) => app.get(AuthService).verify(token),
      metrics: app.get(MetricsService),
    }),
  );
  app.connectMicroservice(busTransportOptions(app.get(ConfigService)));
  await app.startAllMicroservices();
  await app
    .listen(settings.PORT, settings.HOST)
    .catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err;
      throw new BootError(
        `Cannot listen on ${settings.HOST}:${settings.PORT} (${err.code}): stop the other process or choose another --port`,
      );
    });

  const logger = new Logger('Gateway');
  if (tls.created)
    logger.warn(
      'Generated server.crt and server.key: a self-signed development certificate',
    );
  if (!settings.CHAT_ADMIN_TOKEN)
    logger.warn(
      'GET /rooms refuses everyone: set CHAT_ADMIN_TOKEN (16+ characters) to enable it',
    );
  const { port } = app.getHttpServer().address() as AddressInfo;
  chatLogger.always(
    `Secure Server listening on ${settings.HOST}:${port} (TLS Enabled)`,
    'Gateway',
  );
  closeOnSignals(app, logger, settings.SHUTDOWN_DRAIN_MS);
}

/** Readiness turns 503 at once; after SHUTDOWN_DRAIN_MS (for load balancers to notice) the app closes. */
function closeOnSignals(
  app: INestApplication,
  logger: Logger,
  drainMs: number,
): void {
  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    app.get(HealthService).drain();
    logger.log(
      `${signal}: readiness is now 503; closing client sockets and Redis connections${drainMs ? ` in ${drainMs} ms` : ''}`,
    );
    setTimeout(() => {
      logger.error(
        `Shutdown took over ${SHUTDOWN_TIMEOUT_MS} ms; exiting anyway`,
      );
      process.exit(1);
    }, drainMs + SHUTDOWN_TIMEOUT_MS).unref();
    sleep(drainMs)
      .then(() => app.close())
      .then(
        () => process.exit(0),
        (err: Error) => {
          logger.error(`Shutdown failed: ${err.message}`);
          process.exit(1);
        },
      );
  };
  process.once('SIGINT', close);
  process.once('SIGTERM', close);
}

process.on('unhandledRejection', (reason) =>
  new Logger('Process').error(`Unhandled rejection: ${String(reason)}`),
);

bootstrap().catch((err: unknown) => {
  const known = err instanceof BootError || err instanceof SettingsError;
  process.stderr.write(
    `error: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`,
  );
  process.exit(1);
});
