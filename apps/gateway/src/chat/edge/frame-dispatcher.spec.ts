import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  createParamDecorator,
  ExceptionFilter,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  PipeTransform,
  Type,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  ConnectedSocket,
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  WsException,
} from '@nestjs/websockets';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Observable } from 'rxjs';

import { FrameDispatcher } from './frame-dispatcher';

@Injectable()
class Calls {
  readonly seen: string[] = [];
}

@Injectable()
class DenyGuard implements CanActivate {
  constructor(private readonly calls: Calls) {}

  canActivate(context: ExecutionContext): boolean {
    const data = context.switchToWs().getData<{ deny?: boolean }>();
    this.calls.seen.push(`guard ${context.switchToWs().getPattern()}`);
    return data?.deny !== true;
  }
}

class Boom extends Error {}

@Catch(Boom)
@Injectable()
class BoomFilter implements ExceptionFilter {
  constructor(private readonly calls: Calls) {}

  catch(_exception: Boom, host: ArgumentsHost): void {
    this.calls.seen.push(`boom filter, frame ${host.switchToWs().getData()}`);
  }
}

@Catch()
@Injectable()
class EveryFilter implements ExceptionFilter {
  constructor(private readonly calls: Calls) {}

  catch(exception: Error): void {
    this.calls.seen.push(
      `every filter: ${exception instanceof WsException ? 'WsException ' : ''}${exception.message}`,
    );
  }
}

const Named = createParamDecorator(
  (label: string, ctx: ExecutionContext) =>
    `${label} ${ctx.switchToWs().getClient<{ name: string }>().name}`,
);

class Upper implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    return String(value).toUpperCase();
  }
}

@WebSocketGateway()
@UseGuards(DenyGuard)
@UseFilters(EveryFilter)
class SampleGateway {
  constructor(private readonly calls: Calls) {}

  @SubscribeMessage('echo')
  echo(
    @Named('client') who: string,
    @MessageBody('text', new Upper()) text: string,
    @ConnectedSocket() client: unknown,
  ): Promise<unknown> {
    this.calls.seen.push('echo');
    return Promise.resolve({ event: 'echoed', data: { who, text, client } });
  }

  @SubscribeMessage('boom')
  @UseFilters(BoomFilter)
  boom(@MessageBody() _data: unknown): never {
    throw new Boom('boom');
  }

  @SubscribeMessage('fail')
  @UseFilters(BoomFilter)
  fail(): Promise<never> {
    return Promise.reject(new Error('the store is down'));
  }
}

@Injectable()
class Passing implements NestInterceptor {
  intercept(
    _context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> {
    return next.handle();
  }
}

@WebSocketGateway()
class InterceptedGateway {
  @SubscribeMessage('ping')
  @UseInterceptors(Passing)
  ping(): string {
    return 'pong';
  }
}

const dispatcherOf = async (
  gateway: Type<object>,
): Promise<{ sut: FrameDispatcher; calls: Calls }> => {
  const app = await Test.createTestingModule({
    providers: [gateway, Calls],
  }).compile();
  return {
    sut: FrameDispatcher.fromGateway(app, gateway),
    calls: app.get(Calls),
  };
};

describe(FrameDispatcher.name, () => {
  it("lists the gateway's events from @SubscribeMessage", async () => {
    const { sut } = await dispatcherOf(SampleGateway);
    assert.deepEqual(sut.events, ['boom', 'echo', 'fail']);
    assert.equal(sut.handler('nope'), undefined);
  });

  it('runs the guard, then fills each parameter from its decorator through its pipes, then the handler', async () => {
    const { sut, calls } = await dispatcherOf(SampleGateway);
    const client = { name: 'ann' };
    const reply = await sut.handler('echo')!(client, { text: 'hi' }, 'echo');
    assert.deepEqual(reply, {
      event: 'echoed',
      data: { who: 'client ann', text: 'HI', client },
    });
    assert.deepEqual(calls.seen, ['guard echo', 'echo']);
  });

  it("hands a guard's refusal to the filter as Nest does (Forbidden resource), without calling the handler", async () => {
    const { sut, calls } = await dispatcherOf(SampleGateway);
    const reply = await sut.handler('echo')!(
      { name: 'ann' },
      { deny: true },
      'echo',
    );
    assert.equal(reply, undefined);
    assert.deepEqual(calls.seen, [
      'guard echo',
      'every filter: WsException Forbidden resource',
    ]);
  });

  it("gives a failure to the method's filter when it catches it, and to the class's otherwise", async () => {
    const { sut, calls } = await dispatcherOf(SampleGateway);
    await sut.handler('boom')!({}, 7, 'boom');
    await sut.handler('fail')!({}, 8, 'fail');
    assert.deepEqual(calls.seen, [
      'guard boom',
      'boom filter, frame 7',
      'guard fail',
      'every filter: the store is down',
    ]);
  });

  it('stops the boot on a decorator it would not run, naming the handler', async () => {
    await assert.rejects(
      dispatcherOf(InterceptedGateway),
      /InterceptedGateway\.ping: FrameDispatcher does not run interceptors/,
    );
  });
});
