import {
  ArgumentMetadata,
  CanActivate,
  ExceptionFilter,
  INestApplicationContext,
  PipeTransform,
  Type,
} from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  FILTER_CATCH_EXCEPTIONS,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants';
import { MetadataScanner } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { WsException } from '@nestjs/websockets';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum';
import { GatewayMetadataExplorer } from '@nestjs/websockets/gateway-metadata-explorer';
import { isObservable, lastValueFrom, Observable } from 'rxjs';

/** One command's handler as the adapter calls it: the reply to send, or undefined (a filter answered). */
export type FrameHandler = (
  client: unknown,
  data: unknown,
  event: string,
) => Promise<unknown>;

interface ParamSource {
  index: number;
  value(host: ExecutionContextHost): unknown;
  pipes: PipeTransform[];
  metadata: ArgumentMetadata;
}

interface Filter {
  filter: ExceptionFilter;
  catches: Array<Type<unknown>>;
}

type Enhancer<T> = T | Type<T>;

/*
 * Nest's answer when a guard returns false: the same words, so a client sees no difference.
 */
const FORBIDDEN = 'Forbidden resource';

/**
 * The gateway's commands as plain functions, built once at boot from the decorators that declare them:
 * `@SubscribeMessage` (the event), `@UseGuards`, `@UseFilters`, `@MessageBody(...pipes)`,
 * `@ConnectedSocket()` and custom parameter decorators. Per frame it runs the guards, the parameters' pipes
 * and the handler as direct calls, and hands a failure to the first filter that catches it, as Nest's own
 * context does; what it does not run (interceptors, `@UsePipes`, `@Ack`) stops the boot with an error
 * instead of being skipped. Nest binds every handler to every client at its upgrade (26 functions and
 * objects per session, about 2.5 KB kept for the session's life); the adapter keeps none of them and
 * dispatches here instead.
 */
export class FrameDispatcher {
  /** The events the gateway declares, sorted (for the UNKNOWN_EVENT answer). */
  readonly events: string[];

  private constructor(private readonly handlers: Map<string, FrameHandler>) {
    this.events = [...handlers.keys()].sort();
  }

  handler(event: string): FrameHandler | undefined {
    return this.handlers.get(event);
  }

  static fromGateway(
    app: INestApplicationContext,
    gateway: Type<object>,
  ): FrameDispatcher {
    const instance = app.get(gateway, { strict: false });
    const resolve = <T>(item: Enhancer<T>): T =>
      typeof item === 'function'
        ? app.get(item as Type<T>, { strict: false })
        : item;
    const handlers = new Map<string, FrameHandler>();
    const explorer = new GatewayMetadataExplorer(new MetadataScanner());
    for (const { callback, message, methodName } of explorer.explore(
      instance,
    )) {
      const where = `${gateway.name}.${methodName}`;
      for (const [key, what] of [
        [INTERCEPTORS_METADATA, 'interceptors'],
        [PIPES_METADATA, '@UsePipes'],
      ])
        if (enhancers(key, gateway, callback).length > 0)
          throw new Error(
            `${where}: FrameDispatcher does not run ${what}; put pipes on @MessageBody(...) instead`,
          );
      handlers.set(
        String(message),
        handlerOf(instance, callback, gateway, {
          guards: enhancers<CanActivate>(
            GUARDS_METADATA,
            gateway,
            callback,
          ).map(resolve),
          // The method's filters come first, then the class's: the first that catches the error answers it.
          filters: [
            ...enhancers<ExceptionFilter>(EXCEPTION_FILTERS_METADATA, callback),
            ...enhancers<ExceptionFilter>(EXCEPTION_FILTERS_METADATA, gateway),
          ]
            .map(resolve)
            .map((filter) => ({
              filter,
              catches:
                Reflect.getMetadata(
                  FILTER_CATCH_EXCEPTIONS,
                  filter.constructor,
                ) ?? [],
            })),
          params: paramsOf(gateway, methodName, where, resolve),
        }),
      );
    }
    return new FrameDispatcher(handlers);
  }
}

/* The enhancers of one kind declared on each target (the class, then the method), in order. */
function enhancers<T>(key: string, ...targets: object[]): Array<Enhancer<T>> {
  return targets.flatMap(
    (target) => (Reflect.getMetadata(key, target) as Array<Enhancer<T>>) ?? [],
  );
}

function paramsOf(
  gateway: Type<object>,
  methodName: string,
  where: string,
  resolve: <T>(item: Enhancer<T>) => T,
): ParamSource[] {
  const declared: Record<
    string,
    {
      index: number;
      data?: unknown;
      pipes?: Array<Enhancer<PipeTransform>>;
      factory?: (data: unknown, host: ExecutionContextHost) => unknown;
    }
  > = Reflect.getMetadata(ROUTE_ARGS_METADATA, gateway, methodName) ?? {};
  const types: unknown[] =
    Reflect.getMetadata('design:paramtypes', gateway.prototype, methodName) ??
    [];
  return Object.entries(declared).map(([key, param]) => {
    const type = key.split(':')[0];
    const field = param.data as string | undefined;
    const metadata: ArgumentMetadata = {
      type: 'custom',
      metatype: types[param.index] as Type<unknown>,
      data: field,
    };
    const pipes = (param.pipes ?? []).map(resolve);
    if (type.includes(CUSTOM_ROUTE_ARGS_METADATA) && param.factory) {
      const factory = param.factory;
      return {
        index: param.index,
        value: (host) => factory(param.data, host),
        pipes,
        metadata,
      };
    }
    if (Number(type) === WsParamtype.SOCKET)
      return {
        index: param.index,
        value: (host) => host.getArgByIndex(0),
        pipes: [],
        metadata,
      };
    if (Number(type) === WsParamtype.PAYLOAD)
      return {
        index: param.index,
        value: (host) => {
          const data = host.getArgByIndex(1) as Record<string, unknown>;
          return field === undefined ? data : data?.[field];
        },
        pipes,
        metadata: { ...metadata, type: 'body' },
      };
    throw new Error(
      `${where}: parameter ${param.index} has a decorator FrameDispatcher does not know (type ${type}); use @MessageBody, @ConnectedSocket or a custom decorator`,
    );
  });
}

function handlerOf(
  instance: object,
  method: (...args: unknown[]) => unknown,
  gateway: Type<object>,
  parts: { guards: CanActivate[]; filters: Filter[]; params: ParamSource[] },
): FrameHandler {
  const { guards, filters, params } = parts;
  const argCount = params.reduce((n, p) => Math.max(n, p.index + 1), 0);
  return async (client, data, event) => {
    const host = new ExecutionContextHost(
      [client, data, event],
      gateway,
      method,
    );
    host.setType('ws');
    try {
      for (const guard of guards) {
        const allowed = settle(guard.canActivate(host));
        if (!(allowed instanceof Promise ? await allowed : allowed))
          throw new WsException(FORBIDDEN);
      }
      const args = new Array<unknown>(argCount);
      for (const param of params) {
        let value = param.value(host);
        for (const pipe of param.pipes) {
          const piped = settle(pipe.transform(value, param.metadata));
          value = piped instanceof Promise ? await piped : piped;
        }
        args[param.index] = value;
      }
      return await method.apply(instance, args);
    } catch (err) {
      const found = filters.find(
        ({ catches }) =>
          catches.length === 0 || catches.some((type) => err instanceof type),
      );
      if (!found) throw err;
      await found.filter.catch(err, host);
      return undefined;
    }
  };
}

/* A guard's or pipe's answer, which may be a value, a promise or an observable; a value is not awaited. */
function settle<T>(value: T | Promise<T> | Observable<T>): T | Promise<T> {
  return isObservable(value) ? lastValueFrom(value) : value;
}
