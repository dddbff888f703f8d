import 'reflect-metadata';

import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { ServerOptions } from 'node:https';
import { AddressInfo } from 'node:net';
import { SecureContextOptions } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';

import { AuthService } from '@app/auth';
import { BusServer } from '@app/pubsub';

import { AppModule } from './app.module';
import {
  assertClusterSettings,
  assertRedisReachable,
  BootError,
  loadTls,
} from './bootstrap-checks';
import { ChatWsAdapter } from './chat/edge/chat-ws.adapter';
import { ChatGateway } from './chat/edge/chat.gateway';
import { HandlerDispatcher } from './chat/handler-dispatcher';
import { ChatEventsController } from './chat/delivery/chat-events.controller';
import { ChatService } from './chat/chat.service';
import { InstanceHeartbeat } from './chat/cluster/instance-heartbeat.service';
import { helpText } from './config/help-text';
import { launchEnv, LaunchError, parseLaunchArgs } from './config/launch-args';
import { publicUrl } from './config/public-url';
import { SettingsError, validateSettings } from './config/settings';
import { HealthService } from './health/health.service';
import { hsts } from './http/hsts';
import { httpErrorHandler } from './http/http-errors';
import { ChatLogger, logFormat } from './logging/chat-logger';
import { MetricsService } from './metrics/metrics.service';
import { serveOpenApi } from './openapi/open-api';
import { serveWebPage } from './web/web-page';

type HttpsServerOptions = SecureContextOptions &
  Pick<
    ServerOptions,
    | 'handshakeTimeout'
    | 'headersTimeout'
    | 'requestTimeout'
    | 'connectionsCheckingInterval'
  >;

interface Drain {
  graceMs: number;
  delayMs: number;
  start(): void;
}

async function bootstrap(): Promise<void> {
  const settings = validateSettings(
    launchEnv(process.argv.slice(2), process.env),
  );
  const tls = loadTls(settings);
  await assertRedisReachable(settings);
  await assertClusterSettings(settings);

  const chatLogger = new ChatLogger(
    logFormat(settings.LOG_FORMAT),
    settings.LOG_LEVEL,
  );
  Logger.overrideLogger(chatLogger);

  /* Slow clients (slowloris) are cut off: the TLS handshake and the headers within HTTP_HEADERS_TIMEOUT_MS, checked every second. */
  const httpsOptions: HttpsServerOptions = {
    cert: tls.cert,
    key: tls.key,
    minVersion: 'TLSv1.2',
    handshakeTimeout: settings.HTTP_HEADERS_TIMEOUT_MS,
    headersTimeout: settings.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeout: settings.HTTP_REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: 1000,
  };
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forSettings(settings),
    {
      httpsOptions,
      logger: chatLogger,
      bodyParser: false,
      // Browsers keep idle keep-alive connections open, which would hold `app.close()` until the grace runs out.
      forceCloseConnections: true,
    },
  );
  app.use(hsts(settings.HSTS_MAX_AGE_SECONDS));
  app.useBodyParser('json', { limit: '16kb' });
  app.use(httpErrorHandler);
  serveWebPage(app, settings.ALLOWED_ORIGINS);
  serveOpenApi(app);
  // Resolved once: a lookup in Nest's container per upgrade showed in the upgrade's profile.
  const auth = app.get(AuthService);
  const chat = app.get(ChatService);
  const metrics = app.get(MetricsService);
  const adapter = new ChatWsAdapter(app, {
    maxFrameBytes: settings.WS_MAX_FRAME_BYTES,
    allowedOrigins: settings.ALLOWED_ORIGINS,
    maxPendingUpgrades: settings.MAX_PENDING_UPGRADES,
    upgradesPerSecond: settings.UPGRADES_PER_SECOND,
    pingIntervalMs: settings.WS_PING_INTERVAL_MS,
    pingTimeoutMs: settings.WS_PING_TIMEOUT_MS,
    authenticate: (headers, url) => auth.authenticateUpgrade(headers, url),
    admit: (user, address) => chat.admit(user, address),
    release: (session) => chat.release(session),
    rateLimited: () => metrics.rateLimited(),
    dispatcher: HandlerDispatcher.forGateway(app, ChatGateway),
  });
  app.useWebSocketAdapter(adapter);
  const bus = app.get(BusServer);
  const events = HandlerDispatcher.forEvents(app, ChatEventsController);
  bus.routeWith((pattern) => events.handler(pattern));
  app.connectMicroservice({ strategy: bus });
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
  if (!settings.CHAT_ADMIN_TOKEN)
    logger.warn(
      'GET /rooms refuses everyone: set CHAT_ADMIN_TOKEN (16+ characters) to enable it',
    );
  const { port } = app.getHttpServer().address() as AddressInfo;
  await app.get(InstanceHeartbeat).advertise(publicUrl(settings, port));
  chatLogger.always(
    `Secure Server listening on ${settings.HOST}:${port} (TLS Enabled)`,
    'Gateway',
  );
  closeOnSignals(app, logger, {
    graceMs: settings.SHUTDOWN_GRACE_MS,
    delayMs: settings.SHUTDOWN_DRAIN_MS,
    start: () => {
      app.get(HealthService).drain();
      adapter.drain();
    },
  });
}

/*
 * The drain: readiness turns 503 and new upgrades are refused at once; after SHUTDOWN_DRAIN_MS (for load
 * balancers to notice) the app closes (sessions leave their rooms, are told `reconnect` and closed with
 * 1012, the instance de-registers, Redis connections close), all within SHUTDOWN_GRACE_MS.
 */
function closeOnSignals(
  app: INestApplication,
  logger: Logger,
  drain: Drain,
): void {
  let closing = false;
  const close = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    drain.start();
    logger.log(
      `${signal}: draining (readiness 503 for ${drain.delayMs} ms, then sessions leave their rooms and are told to reconnect)`,
    );
    setTimeout(() => {
      logger.error(
        `Shutdown took over SHUTDOWN_GRACE_MS=${drain.graceMs} ms; exiting anyway`,
      );
      process.exit(1);
    }, drain.delayMs + drain.graceMs).unref();
    sleep(drain.delayMs)
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

/** `--help` and a bad command line are answered before anything starts. */
function answerEarly(argv: string[]): number | undefined {
  try {
    if (!parseLaunchArgs(argv).help) return undefined;
    process.stdout.write(`${helpText()}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof LaunchError)) throw err;
    process.stderr.write(`error: ${err.message}\n`);
    return 2;
  }
}

const early = answerEarly(process.argv.slice(2));
if (early !== undefined) process.exitCode = early;
else void start();

function start(): Promise<void> {
  return bootstrap().catch((err: unknown) => {
    const known =
      err instanceof BootError ||
      err instanceof SettingsError ||
      err instanceof LaunchError;
    process.stderr.write(
      `error: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`,
    );
    process.exit(err instanceof LaunchError ? 2 : 1);
  });
}
