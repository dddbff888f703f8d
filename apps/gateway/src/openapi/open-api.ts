import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

const DESCRIPTION = [
  'The REST endpoints of one gateway instance: logging in, the admin API, health checks and metrics.',
  'The chat itself runs over the secure WebSocket at `/ws` (token in `Authorization: Bearer`, or from a browser a single-use `?ticket=` from `POST /auth/ticket`; never the token in the URL);',
  'its frames are described in [docs/PROTOCOL.md](/PROTOCOL.md).',
].join(' ');

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('securechat gateway')
    .setDescription(DESCRIPTION)
    .setVersion('1')
    .addBearerAuth()
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at `/docs`, the document at `/docs-json` (and `/docs-yaml`). */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => openApiDocument(app), {
    customSiteTitle: 'securechat API',
  });
}
