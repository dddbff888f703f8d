import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentsHost, HttpStatus, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';

import { RetryLaterException } from '@app/auth';

import { RetryAfterFilter } from './retry-after.filter';

/** The parts of an express response the filter and Nest's adapter touch. */
class FakeResponse {
  readonly headers: Record<string, string> = {};
  statusCode = 0;
  body: unknown;
  setHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  status(code: number): { json: (body: unknown) => void } {
    this.statusCode = code;
    return { json: (body) => (this.body = body) };
  }
}

const adapter = {
  isHeadersSent: () => false,
  reply: (res: FakeResponse, body: unknown, status: number) =>
    res.status(status).json(body),
};

const hostFor = (res: FakeResponse): ArgumentsHost =>
  ({
    getType: () => 'http',
    getArgByIndex: (i: number) => (i === 1 ? res : undefined),
    switchToHttp: () => ({ getResponse: () => res }),
  }) as unknown as ArgumentsHost;

describe(RetryAfterFilter.name, () => {
  const sut = new RetryAfterFilter(
    { httpAdapter: adapter } as unknown as HttpAdapterHost,
    new ConfigService({ REDIS_RETRY_DELAY_MS: 1500 }),
  );

  it('adds Retry-After to a RetryLaterException and leaves its status and body to Nest', () => {
    const res = new FakeResponse();
    sut.catch(
      new RetryLaterException(
        'Too many failed logins for "a": try again in 42 s',
        HttpStatus.TOO_MANY_REQUESTS,
        42,
      ),
      hostFor(res),
    );
    assert.equal(res.headers['Retry-After'], '42');
    assert.equal(res.statusCode, 429);
    assert.deepEqual(res.body, {
      statusCode: 429,
      message: 'Too many failed logins for "a": try again in 42 s',
    });
  });

  it('answers an unreachable Redis with 503 and the reconnect delay in whole seconds', () => {
    const res = new FakeResponse();
    sut.catch(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {
        code: 'ECONNREFUSED',
      }),
      hostFor(res),
    );
    assert.equal(res.headers['Retry-After'], '2');
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.body, {
      statusCode: 503,
      message: 'The chat store is unreachable: try again in 2 s',
    });
  });

  it('leaves every other error to Nest, without Retry-After', () => {
    const res = new FakeResponse();
    sut.catch(new NotFoundException('no such thing'), hostFor(res));
    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['Retry-After'], undefined);
  });
});
