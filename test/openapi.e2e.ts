import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import request from 'supertest';

import { DOCS_PATH, serveOpenApi } from '../apps/gateway/src/openapi/open-api';

import { AppModule } from '../apps/gateway/src/app.module';
import { validateSettings } from '../apps/gateway/src/config/settings';
import { TestRedis } from './support/redis-server';

interface Operation {
  summary?: string;
  responses?: Record<string, { description?: string }>;
}

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Every route the app's Express router serves, as `METHOD /path/{param}`, but Swagger UI's own and middleware mounts. */
function routesOf(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as {
    router: { stack: RouterLayer[] };
  };
  return (
    express.router.stack
      .flatMap(({ route }) =>
        route
          ? [route.path]
              .flat()
              .flatMap((path) =>
                Object.keys(route.methods).map((method) => ({ path, method })),
              )
          : [],
      )
      // Wildcard mounts are middleware (CORS for /auth/*), not endpoints.
      .filter(
        ({ path }) => !path.startsWith(`/${DOCS_PATH}`) && !path.includes('*'),
      )
      .map(
        ({ method, path }) =>
          `${method.toUpperCase()} ${path.replace(/:(\w+)/g, '{$1}')}`,
      )
  );
}

describe('OpenAPI description', () => {
  let redis: TestRedis;
  let app: NestExpressApplication;

  before(async () => {
    redis = await TestRedis.start();
    const settings = validateSettings({ ...process.env, REDIS_URL: redis.url });
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forSettings(settings),
      {
        logger: ['error'],
      },
    );
    app.useWebSocketAdapter(new WsAdapter(app));
    serveOpenApi(app);
    await app.init();
  });

  after(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('documents every REST route of the app with a summary and its responses', async () => {
    const reply = await request(app.getHttpServer())
      .get(`/${DOCS_PATH}-json`)
      .expect(200);
    const paths = reply.body.paths as Record<string, Record<string, Operation>>;
    const routes = routesOf(app);
    assert.ok(
      routes.includes('POST /auth/login') &&
        routes.includes('GET /health/ready'),
      `routes found: ${routes.join(', ')}`,
    );
    for (const route of routes) {
      const [method, path] = route.split(' ');
      const operation = paths[path]?.[method.toLowerCase()];
      assert.ok(operation, `${route} is missing from /${DOCS_PATH}-json`);
      assert.ok(
        operation.summary,
        `${route} has no summary: add @ApiOperation({ summary })`,
      );
      const described = Object.values(operation.responses ?? {}).some(
        (response) => response.description,
      );
      assert.ok(
        described,
        `${route} documents no response: add @ApiOkResponse({ description }) and its failures`,
      );
    }
  });

  it('points to docs/PROTOCOL.md for the WebSocket protocol, and serves Swagger UI', async () => {
    const reply = await request(app.getHttpServer())
      .get(`/${DOCS_PATH}-json`)
      .expect(200);
    assert.match(reply.body.info.description, /PROTOCOL\.md/);
    const ui = await request(app.getHttpServer())
      .get(`/${DOCS_PATH}`)
      .expect(200);
    assert.match(ui.text, /swagger-ui/i);
  });
});
