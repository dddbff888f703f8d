import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
} from 'prom-client';

import { BUS_EVENT_KINDS, BusEventKind, BusPattern } from '@app/pubsub';

/** Readable label values for the bus event kinds (`message` → `chat.message`). */
const BUS_EVENT_NAMES = new Map<string, string>(
  Object.values(BusPattern).map((pattern) => [pattern, `chat.${pattern}`]),
);

const LOGIN_RESULTS = ['failed', 'locked', 'ok'] as const;
const MESSAGE_EVENTS = ['dm', 'message'] as const;

export type LoginResult = (typeof LOGIN_RESULTS)[number];
export type MessageEventType = (typeof MESSAGE_EVENTS)[number];

/** The counter's series for each message event, created at zero so a scrape lists them from the start. */
function byEvent(
  counter: Counter,
): Record<MessageEventType, ReturnType<Counter['labels']>> {
  const [dm, message] = MESSAGE_EVENTS.map((event) => {
    const child = counter.labels({ event });
    child.inc(0);
    return child;
  });
  return { dm, message };
}

/**
 * This instance's Prometheus metrics. Labels are event types or outcomes only, never a user or a room:
 * every label value multiplies the series a scrape returns.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly sessionsOpen = new Gauge({
    name: 'chat_sessions',
    help: 'WebSocket sessions open on this instance',
    registers: [this.registry],
  });
  private readonly loginsTotal = new Counter({
    name: 'chat_logins_total',
    help: 'Logins by result: ok, failed (wrong password) or locked (too many failures)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private readonly publishedTotal = new Counter({
    name: 'chat_messages_published_total',
    help: 'Messages this instance published to the bus, by event',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly deliveredTotal = new Counter({
    name: 'chat_messages_delivered_total',
    help: 'Message frames this instance sent to its local sessions, by event',
    labelNames: ['event'],
    registers: [this.registry],
  });
  private readonly rateLimitedTotal = new Counter({
    name: 'chat_frames_rate_limited_total',
    help: 'Client frames refused with RATE_LIMITED',
    registers: [this.registry],
  });
  private readonly slowConsumersTotal = new Counter({
    name: 'chat_slow_consumer_disconnects_total',
    help: 'Sessions cut off for falling more than WS_MAX_BUFFERED_BYTES behind',
    registers: [this.registry],
  });
  private readonly busLagSeconds = new Histogram({
    name: 'chat_bus_lag_seconds',
    help: 'Time from publishing an event to receiving it on this instance, by bus pattern',
    labelNames: ['event'],
    buckets: [
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
    ],
    registers: [this.registry],
  });
  private readonly redisErrorsTotal = new Counter({
    name: 'chat_redis_errors_total',
    help: 'Redis connection errors and Redis commands that failed',
    registers: [this.registry],
  });

  private busEventsSource?: () => Readonly<Record<BusEventKind, number>>;
  private readonly busEventsReceived: Counter = new Counter({
    name: 'chat_bus_events_received_total',
    help: 'Bus events this instance received, by kind; it hears only what its sessions need (their rooms, their users, users they follow) and its probes',
    labelNames: ['kind'],
    registers: [this.registry],
    collect: () => {
      const counts = this.busEventsSource?.();
      this.busEventsReceived.reset();
      for (const kind of BUS_EVENT_KINDS)
        this.busEventsReceived.inc({ kind }, counts?.[kind] ?? 0);
    },
  });

  private unreplicatedSource?: () => number;
  private readonly storesUnreplicated: Counter = new Counter({
    name: 'chat_stores_unreplicated_total',
    help: 'Stores answered although fewer replicas than REDIS_STORE_WAIT_REPLICAS acknowledged them within REDIS_STORE_WAIT_MS (a master crash now would lose them; the sender was told they were stored)',
    registers: [this.registry],
    collect: () => {
      this.storesUnreplicated.reset();
      this.storesUnreplicated.inc(this.unreplicatedSource?.() ?? 0);
    },
  });

  /* The per-message series, bound to their labels once (prom-client hashes the labels on every call otherwise). */
  private readonly publishedByEvent = byEvent(this.publishedTotal);
  private readonly deliveredByEvent = byEvent(this.deliveredTotal);
  private readonly busLagByPattern = new Map<
    string,
    ReturnType<Histogram['labels']>
  >();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const result of LOGIN_RESULTS) this.loginsTotal.inc({ result }, 0);
  }

  /** Where `chat_bus_events_received_total` is read at each scrape: the transport counts, cheaper than a label lookup per event. */
  countBusEvents(source: () => Readonly<Record<BusEventKind, number>>): void {
    this.busEventsSource = source;
  }

  /** Where `chat_stores_unreplicated_total` is read at each scrape (ReplicaWait counts). */
  countUnreplicated(source: () => number): void {
    this.unreplicatedSource = source;
  }

  sessionOpened(): void {
    this.sessionsOpen.inc();
  }

  sessionClosed(): void {
    this.sessionsOpen.dec();
  }

  login(result: LoginResult): void {
    this.loginsTotal.inc({ result });
  }

  published(event: MessageEventType): void {
    this.publishedByEvent[event].inc();
  }

  delivered(event: MessageEventType, sessions: number): void {
    if (sessions > 0) this.deliveredByEvent[event].inc(sessions);
  }

  rateLimited(): void {
    this.rateLimitedTotal.inc();
  }

  slowConsumerClosed(): void {
    this.slowConsumersTotal.inc();
  }

  /** `ms` from publish to receipt, by the sender's clock (instances are assumed to share one, or NTP). */
  busLag(pattern: BusPattern, ms: number): void {
    if (Number.isFinite(ms))
      this.busLagOf(pattern).observe(Math.max(0, ms) / 1000);
  }

  private busLagOf(pattern: BusPattern): ReturnType<Histogram['labels']> {
    let child = this.busLagByPattern.get(pattern);
    if (!child) {
      child = this.busLagSeconds.labels({
        event: BUS_EVENT_NAMES.get(pattern) ?? pattern,
      });
      this.busLagByPattern.set(pattern, child);
    }
    return child;
  }

  redisError(): void {
    this.redisErrorsTotal.inc();
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
