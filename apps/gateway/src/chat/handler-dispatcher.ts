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
import { RpcException } from '@nestjs/microservices';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum';
import { ListenerMetadataExplorer } from '@nestjs/microservices/listener-metadata-explorer';
import { WsException } from '@nestjs/websockets';
import { WsParamtype } from '@nestjs/websockets/enums/ws-paramtype.enum';
import { GatewayMetadataExplorer } from '@nestjs/websockets/gateway-metadata-explorer';
import { isObservable, lastValueFrom, Observable } from 'rxjs';

/**
 * One declared handler as a plain call. Its arguments are the context's, as Nest passes them: a WebSocket
 * command gets (client, data, event), a bus event (data, context). It resolves the handler's result, or
 * undefined when a filter answered a failure.
 */
export type DispatchedHandler = (...args: unknown[]) => Promise<unknown>;

type ContextType = 'ws' | 'rpc';

/* Where each context's arguments are, by Nest's parameter type: what `@MessageBody`, `@Payload`, ... read. */
const ARGUMENTS: Record<ContextType, Record<number, number>> = {
  ws: { [WsParamtype.SOCKET]: 0, [WsParamtype.PAYLOAD]: 1 },
  rpc: { [RpcParamtype.PAYLOAD]: 0, [RpcParamtype.CONTEXT]: 1 },
};
/* Parameter types whose value goes through the parameter's pipes. */
const PIPED = new Set<number>([WsParamtype.PAYLOAD, RpcParamtype.PAYLOAD]);

/* What a refused guard throws in each context: Nest's own words, so a client sees no difference. */
const FORBIDDEN = 'Forbidden resource';
const refusal: Record<ContextType, () => Error> = {
  ws: () => new WsException(FORBIDDEN),
  rpc: () => new RpcException(FORBIDDEN),
};

interface ParamSource {
  index: number;
  /* From the call's arguments; `host` makes the execution context only when a decorator needs one. */
  value(args: unknown[], host: () => ExecutionContextHost): unknown;
  pipes: PipeTransform[];
  metadata: ArgumentMetadata;
}

interface Filter {
  filter: ExceptionFilter;
  catches: Array<Type<unknown>>;
}

type Enhancer<T> = T | Type<T>;

/** A handler found on a class: the pattern it answers, its method, and its name for errors. */
interface Declared {
  pattern: string;
  method: (...args: unknown[]) => unknown;
  methodName: string;
}

/**
 * Handlers as plain functions, built once at boot from the decorators that declare them: the gateway's
 * `@SubscribeMessage` commands and the bus controller's `@EventPattern` events, each with its `@UseGuards`,
 * `@UseFilters` and parameter decorators (`@MessageBody(...pipes)`, `@ConnectedSocket()`, `@Payload()`,
 * `@Ctx()`, custom ones). Per call it runs the guards, the parameters' pipes and the handler as direct calls,
 * and hands a failure to the first filter that catches it, as Nest's own contexts do; what it does not run
 * (interceptors, `@UsePipes`, `@Ack`, `@MessagePattern` replies) stops the boot with an error instead of being
 * skipped. Nest's per-call pipeline (its observables and proxies) and its per-client binding of every
 * handler are left out of the hot path: the adapter and the bus transport call these instead.
 */
export class HandlerDispatcher {
  /** The patterns declared, sorted (for the UNKNOWN_EVENT answer). */
  readonly patterns: string[];

  /* Built by `forGateway` and `forEvents` only. */
  constructor(private readonly handlers: Map<string, DispatchedHandler>) {
    this.patterns = [...handlers.keys()].sort();
  }

  handler(pattern: string): DispatchedHandler | undefined {
    return this.handlers.get(pattern);
  }

  /** The `@SubscribeMessage` commands of a `@WebSocketGateway`. */
  static forGateway(
    app: INestApplicationContext,
    gateway: Type<object>,
  ): HandlerDispatcher {
    const instance = app.get(gateway, { strict: false });
    const declared = new GatewayMetadataExplorer(new MetadataScanner())
      .explore(instance)
      .map(({ callback, message, methodName }) => ({
        pattern: String(message),
        method: callback as Declared['method'],
        methodName,
      }));
    return build(app, gateway, instance, declared, 'ws');
  }

  /** The `@EventPattern` handlers of a microservice `@Controller`. */
  static forEvents(
    app: INestApplicationContext,
    controller: Type<object>,
  ): HandlerDispatcher {
    const instance = app.get(controller, { strict: false });
    const declared = new ListenerMetadataExplorer(new MetadataScanner())
      .explore(instance)
      .flatMap(({ isEventHandler, methodKey, patterns }) => {
        if (!isEventHandler)
          throw new Error(
            `${controller.name}.${methodKey}: HandlerDispatcher does not answer @MessagePattern requests; use @EventPattern`,
          );
        const method = Object.getPrototypeOf(instance)[methodKey];
        return patterns.map((pattern) => ({
          pattern: String(pattern),
          method,
          methodName: methodKey,
        }));
      });
    return build(app, controller, instance, declared, 'rpc');
  }
}

function build(
  app: INestApplicationContext,
  target: Type<object>,
  instance: object,
  declared: Declared[],
  type: ContextType,
): HandlerDispatcher {
  const resolve = <T>(item: Enhancer<T>): T =>
    typeof item === 'function'
      ? app.get(item as Type<T>, { strict: false })
      : item;
  const handlers = new Map<string, DispatchedHandler>();
  for (const { pattern, method, methodName } of declared) {
    const where = `${target.name}.${methodName}`;
    for (const [key, what] of [
      [INTERCEPTORS_METADATA, 'interceptors'],
      [PIPES_METADATA, '@UsePipes'],
    ])
      if (enhancers(key, target, method).length > 0)
        throw new Error(
          `${where}: HandlerDispatcher does not run ${what}; put pipes on the parameter's decorator instead`,
        );
    handlers.set(
      pattern,
      handlerOf(instance, method, target, type, {
        guards: enhancers<CanActivate>(GUARDS_METADATA, target, method).map(
          resolve,
        ),
        // The method's filters come first, then the class's: the first that catches the error answers it.
        filters: [
          ...enhancers<ExceptionFilter>(EXCEPTION_FILTERS_METADATA, method),
          ...enhancers<ExceptionFilter>(EXCEPTION_FILTERS_METADATA, target),
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
        params: paramsOf(target, methodName, where, type, resolve),
      }),
    );
  }
  return new HandlerDispatcher(handlers);
}

/* The enhancers of one kind declared on each target (the class, then the method), in order. */
function enhancers<T>(key: string, ...targets: object[]): Array<Enhancer<T>> {
  return targets.flatMap(
    (target) => (Reflect.getMetadata(key, target) as Array<Enhancer<T>>) ?? [],
  );
}

function paramsOf(
  target: Type<object>,
  methodName: string,
  where: string,
  type: ContextType,
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
  > = Reflect.getMetadata(ROUTE_ARGS_METADATA, target, methodName) ?? {};
  const types: unknown[] =
    Reflect.getMetadata('design:paramtypes', target.prototype, methodName) ??
    [];
  return Object.entries(declared).map(([key, param]) => {
    const paramType = key.split(':')[0];
    const field = param.data as string | undefined;
    const metadata: ArgumentMetadata = {
      type: 'custom',
      metatype: types[param.index] as Type<unknown>,
      data: field,
    };
    const pipes = (param.pipes ?? []).map(resolve);
    if (paramType.includes(CUSTOM_ROUTE_ARGS_METADATA) && param.factory) {
      const factory = param.factory;
      return {
        index: param.index,
        value: (_args, host) => factory(param.data, host()),
        pipes,
        metadata,
      };
    }
    const at = ARGUMENTS[type][Number(paramType)];
    if (at === undefined)
      throw new Error(
        `${where}: parameter ${param.index} has a decorator HandlerDispatcher does not know (type ${paramType})`,
      );
    const piped = PIPED.has(Number(paramType));
    return {
      index: param.index,
      value: (args) => {
        const arg = args[at] as Record<string, unknown>;
        return piped && field !== undefined ? arg?.[field] : arg;
      },
      pipes: piped ? pipes : [],
      metadata: { ...metadata, type: piped ? 'body' : 'custom' },
    };
  });
}

function handlerOf(
  instance: object,
  method: (...args: unknown[]) => unknown,
  target: Type<object>,
  type: ContextType,
  parts: { guards: CanActivate[]; filters: Filter[]; params: ParamSource[] },
): DispatchedHandler {
  const { guards, filters, params } = parts;
  const argCount = params.reduce((n, p) => Math.max(n, p.index + 1), 0);
  return async (...contextArgs) => {
    let context: ExecutionContextHost | undefined;
    const host = (): ExecutionContextHost => {
      if (context) return context;
      context = new ExecutionContextHost(contextArgs, target, method);
      context.setType(type);
      return context;
    };
    try {
      for (const guard of guards) {
        const allowed = settle(guard.canActivate(host()));
        if (!(allowed instanceof Promise ? await allowed : allowed))
          throw refusal[type]();
      }
      const args = new Array<unknown>(argCount);
      for (const param of params) {
        let value = param.value(contextArgs, host);
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
      await found.filter.catch(err, host());
      return undefined;
    }
  };
}

/* A guard's or pipe's answer, which may be a value, a promise or an observable; a value is not awaited. */
function settle<T>(value: T | Promise<T> | Observable<T>): T | Promise<T> {
  return isObservable(value) ? lastValueFrom(value) : value;
}
