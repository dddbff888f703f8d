import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  Controller,
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
import {
  BaseRpcContext,
  Ctx,
  EventPattern,
  MessagePattern,
  Payload,
} from '@nestjs/microservices';
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

import { HandlerDispatcher } from './handler-dispatcher';

@Injectable()
class Calls {
  readonly seen: string[] = [];
}

@Injectable()
class DenyGuard implements CanActivate {
  constructor(private readonly calls: Calls) {}

  canActivate(context: ExecutionContext): boolean {
    const rpc = context.getType() === 'rpc';
    const data = rpc
      ? context.switchToRpc().getData<{ deny?: boolean }>()
      : context.switchToWs().getData<{ deny?: boolean }>();
    this.calls.seen.push(
      rpc ? 'guard (event)' : `guard ${context.switchToWs().getPattern()}`,
    );
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

@Controller()
class SampleEvents {
  constructor(private readonly calls: Calls) {}

  @EventPattern(['message', 'said'])
  onMessage(@Payload('text') text: string, @Ctx() context: unknown): void {
    const channel = (context as BaseRpcContext<[string]>).getArgByIndex(0);
    this.calls.seen.push(`${text} on ${channel}`);
  }

  @EventPattern('control')
  @UseGuards(DenyGuard)
  async onControl(@Payload() event: { id: number }): Promise<void> {
    this.calls.seen.push(`control ${event.id}`);
  }
}

@Controller()
class Replying {
  @MessagePattern('sum')
  sum(@Payload() data: number[]): number {
    return data.reduce((a, b) => a + b, 0);
  }
}

const dispatcherOf = async (
  gateway: Type<object>,
  events = false,
): Promise<{ sut: HandlerDispatcher; calls: Calls }> => {
  const app = await Test.createTestingModule({
    providers: [gateway, Calls],
  }).compile();
  return {
    sut: (events ? HandlerDispatcher.forEvents : HandlerDispatcher.forGateway)(
      app,
      gateway,
    ),
    calls: app.get(Calls),
  };
};

describe(HandlerDispatcher.name, () => {
  it("lists the gateway's events from @SubscribeMessage", async () => {
    const { sut } = await dispatcherOf(SampleGateway);
    assert.deepEqual(sut.patterns, ['boom', 'echo', 'fail']);
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
      /InterceptedGateway\.ping: HandlerDispatcher does not run interceptors/,
    );
  });

  it('calls each @EventPattern handler with its payload (or a field of it) and context, under every pattern it declares', async () => {
    const { sut, calls } = await dispatcherOf(SampleEvents, true);
    assert.deepEqual(sut.patterns, ['control', 'message', 'said']);
    const context = new BaseRpcContext<[string]>(['chat:{r:lobby}']);
    await sut.handler('message')!({ text: 'hi' }, context);
    await sut.handler('said')!({ text: 'again' }, context);
    await sut.handler('control')!({ id: 3 }, context);
    assert.deepEqual(calls.seen, [
      'hi on chat:{r:lobby}',
      'again on chat:{r:lobby}',
      'guard (event)',
      'control 3',
    ]);
  });

  it("rejects an event whose guard refuses, as Nest's RPC context does, without calling the handler", async () => {
    const { sut, calls } = await dispatcherOf(SampleEvents, true);
    await assert.rejects(
      sut.handler('control')!({ id: 4, deny: true }, new BaseRpcContext([])),
      /Forbidden resource/,
    );
    assert.deepEqual(calls.seen, ['guard (event)']);
  });

  it('stops the boot on a @MessagePattern, which it would not answer', async () => {
    await assert.rejects(
      dispatcherOf(Replying, true),
      /Replying\.sum: HandlerDispatcher does not answer @MessagePattern/,
    );
  });
});
