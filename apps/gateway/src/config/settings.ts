import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { availableParallelism } from 'node:os';

import { MAX_FRAME_BYTES, MAX_PASSWORD_BYTES } from '@app/protocol';
import { CLUSTER_NODES_FORM, redactRedisUrl } from '@app/redis';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim())
    ? Number(value)
    : value;

const toList = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : value;

/** A whole-number setting from `min` to `max`; the message says what it accepts. */
const IntSetting = (
  min: number,
  max: number,
  what: string,
): PropertyDecorator => {
  const message = `must be ${what} from ${min} to ${max}`;
  return applyDecorators(
    Transform(toInt),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );
};

const MEANINGS = new Map<string, string>();

/** What a setting means, in one line: `--help` lists every setting with it. */
const Doc =
  (meaning: string): PropertyDecorator =>
  (_target, key) => {
    MEANINGS.set(String(key), meaning);
  };

const SECONDS = 'a whole number of seconds';
const MILLISECONDS = 'a whole number of milliseconds';

/** `scheme://host[:port]` as browsers send it in `Origin`: no path, no wildcard. */
const ORIGIN_PATTERN =
  /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** `host:port` or a redis(s):// URL, comma-separated (parsed by `parseClusterNodes`). */
const CLUSTER_NODE = String.raw`(?:rediss?://[^\s,]+|(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+):\d{1,5})`;
const CLUSTER_NODES_PATTERN = new RegExp(
  `^\\s*${CLUSTER_NODE}\\s*(,\\s*${CLUSTER_NODE}\\s*)*$`,
  'i',
);

/** `https://host[:port]`: where clients reach one instance; no path. */
const PUBLIC_URL_PATTERN =
  /^https:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** Every setting of the gateway, read from the environment (or --port / --host) and validated at boot. */
export class Settings {
  @Doc('TLS port for HTTPS and WSS (/ws); 0 picks a free one')
  @IntSetting(0, 65535, 'an integer')
  PORT = 8000;

  @Doc('address to listen on')
  @IsString()
  @MinLength(1, { message: 'must be a host name or address, e.g. 0.0.0.0' })
  HOST = '0.0.0.0';

  /** Unset: https://HOST:PORT as bound (127.0.0.1 when HOST is 0.0.0.0, [::1] when it is ::). */
  @Doc(
    "where clients reach this instance (https://host[:port]); every welcome lists the live instances' addresses, for failover. Unset: HOST (127.0.0.1 for 0.0.0.0) and the port bound",
  )
  @IsOptional()
  @Matches(PUBLIC_URL_PATTERN, {
    message:
      'must be the https:// address clients reach this instance at, e.g. https://chat1.example.com:8000 (no path)',
  })
  PUBLIC_URL?: string;

  @Doc(
    'the shared Redis (rediss:// for TLS; user, password and database in the URL)',
  )
  @Matches(/^rediss?:\/\/[^\s]+$/, {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Doc(
    'a Redis Cluster instead of REDIS_URL: host:port,host:port,... of some of its nodes (redis:// or rediss:// URLs carry user, password and TLS); sharded pub/sub, see docs/OPERATIONS.md',
  )
  @IsOptional()
  @Matches(CLUSTER_NODES_PATTERN, {
    message: `must be ${CLUSTER_NODES_FORM}, e.g. 10.0.0.1:7000,10.0.0.2:7000`,
  })
  REDIS_CLUSTER_NODES?: string;

  @Doc(
    'after each store, wait for this many replicas of its master to acknowledge it (Redis WAIT); 0: do not wait',
  )
  @IntSetting(0, 16, 'an integer')
  REDIS_STORE_WAIT_REPLICAS = 0;

  @Doc(
    'how long a store waits for REDIS_STORE_WAIT_REPLICAS before it is answered anyway (reported as not replicated)',
  )
  @IntSetting(1, 10000, MILLISECONDS)
  REDIS_STORE_WAIT_MS = 100;

  @Doc(
    'PEM certificate file; the default is created when missing (npm run certs)',
  )
  @IsString()
  @MinLength(1, { message: 'must be the path of a PEM certificate file' })
  TLS_CERT = 'certs/server.crt';

  @Doc(
    'PEM private key file; the default is created when missing (npm run certs)',
  )
  @IsString()
  @MinLength(1, { message: 'must be the path of a PEM private key file' })
  TLS_KEY = 'certs/server.key';

  @Doc(
    'token signing secret, 32+ characters; unset, the instances share one random secret kept in Redis',
  )
  @IsOptional()
  @IsString()
  @MinLength(32, {
    message:
      'must be at least 32 characters (leave it unset to share a generated secret through Redis)',
  })
  CHAT_JWT_SECRET?: string;

  @Doc('how long a login token is valid, in seconds')
  @IntSetting(1, 2592000, SECONDS)
  JWT_TTL_SECONDS = 12 * 3600;

  @Doc(
    "how long a browser's single-use WebSocket ticket (POST /auth/ticket) stays usable (ms); never longer than its token",
  )
  @IntSetting(1000, 300000, MILLISECONDS)
  WS_TICKET_TTL_MS = 30000;

  @Doc(
    'bearer token for GET /rooms and POST /admin/users, 16+ characters; unset, those endpoints refuse everyone',
  )
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  CHAT_ADMIN_TOKEN?: string;

  @Doc(
    'open: a first login with an unused name registers it; closed: only npm run user:add and POST /admin/users create accounts',
  )
  @IsIn(['open', 'closed'], {
    message:
      'must be open (a first login registers an unused name) or closed (only an admin creates accounts)',
  })
  REGISTRATION: 'open' | 'closed' = 'open';

  @Doc(
    'shortest password (characters) for a new account; 12 recommended on a public server',
  )
  @IntSetting(1, MAX_PASSWORD_BYTES, 'a number of characters')
  PASSWORD_MIN_LENGTH = 1;

  @Doc(
    'argon2id memory (KiB) for new hashes; older hashes are redone at the next login',
  )
  @IntSetting(1024, 4194304, 'a number of KiB')
  ARGON2_MEMORY_KIB = 19456;

  @Doc('argon2id passes for new hashes')
  @IntSetting(1, 100, 'an integer')
  ARGON2_TIME_COST = 2;

  @Doc('argon2id lanes for new hashes')
  @IntSetting(1, 64, 'an integer')
  ARGON2_PARALLELISM = 1;

  @Doc('password hashes running at once (default: the number of cores)')
  @IntSetting(1, 1024, 'an integer')
  HASH_CONCURRENCY = availableParallelism();

  @Doc('logins waiting for a hash; beyond it, 503 with Retry-After')
  @IntSetting(0, 100000, 'an integer')
  HASH_QUEUE_LIMIT = 64;

  @Doc(
    'failed logins allowed per username and client address in LOGIN_FAILURE_WINDOW_SECONDS; then 429 until it passes',
  )
  @IntSetting(1, 1000, 'an integer')
  LOGIN_MAX_FAILURES = 10;

  @Doc(
    'failed logins allowed per client address, whatever the names, in the same window',
  )
  @IntSetting(1, 100000, 'an integer')
  LOGIN_MAX_FAILURES_PER_ADDRESS = 30;

  @Doc(
    'failed logins allowed per account in the window from addresses it has not logged in from in 30 days',
  )
  @IntSetting(1, 1000000, 'an integer')
  LOGIN_MAX_FAILURES_PER_ACCOUNT = 50;

  @Doc('the window (seconds) of the failed-login limits')
  @IntSetting(1, 86400, SECONDS)
  LOGIN_FAILURE_WINDOW_SECONDS = 300;

  @Doc(
    'new accounts per client address in REGISTRATION_WINDOW_SECONDS (REGISTRATION=open)',
  )
  @IntSetting(1, 100000, 'an integer')
  REGISTRATIONS_PER_ADDRESS = 10;

  @Doc('the window (seconds) of REGISTRATIONS_PER_ADDRESS')
  @IntSetting(1, 604800, SECONDS)
  REGISTRATION_WINDOW_SECONDS = 3600;

  @Doc('new accounts per hour across the whole cluster (REGISTRATION=open)')
  @IntSetting(1, 10000000, 'a number of accounts')
  REGISTRATIONS_PER_HOUR = 1000;

  @Doc(
    "frames a socket may send per second on average; the same for a user's messages across all sessions",
  )
  @IntSetting(1, 100000, 'an integer')
  RATE_LIMIT_PER_SECOND = 20;

  @Doc('frames a socket may send at once')
  @IntSetting(1, 100000, 'an integer')
  RATE_LIMIT_BURST = 50;

  @Doc(
    'rate-limit violations within a minute before the socket is closed with 1008',
  )
  @IntSetting(1, 1000, 'an integer')
  RATE_LIMIT_STRIKES = 3;

  @Doc('open sockets per user across the cluster')
  @IntSetting(1, 100000, 'an integer')
  MAX_SESSIONS_PER_USER = 10;

  @Doc('open sockets per client address across the cluster')
  @IntSetting(1, 1000000, 'an integer')
  MAX_CONNECTIONS_PER_ADDRESS = 100;

  @Doc(
    "comma list of web origins (https://chat.example.com) whose pages may log in; the gateway's own origin and clients without Origin are always allowed",
  )
  @IsString({ each: true })
  @Transform(toList)
  @Matches(ORIGIN_PATTERN, {
    each: true,
    message:
      'must be a comma-separated list of origins such as https://chat.example.com (scheme://host[:port], no path, no *)',
  })
  ALLOWED_ORIGINS: string[] = [];

  @Doc('largest client frame; a larger one closes the socket with 1009')
  @IntSetting(1024, MAX_FRAME_BYTES, 'an integer')
  WS_MAX_FRAME_BYTES = MAX_FRAME_BYTES;

  @Doc('unsent bytes a client may fall behind by before it is closed with 1013')
  @IntSetting(65536, 1073741824, 'a number of bytes')
  WS_MAX_BUFFERED_BYTES = 1024 * 1024;

  @Doc(
    'WebSocket upgrades this instance checks at once; beyond it, 503 with Retry-After',
  )
  @IntSetting(1, 100000, 'an integer')
  MAX_PENDING_UPGRADES = 100;

  @Doc(
    'WebSocket upgrades this instance starts per second; beyond it, 503 with Retry-After (a reconnect storm is admitted at this pace)',
  )
  @IntSetting(1, 100000, 'an integer')
  UPGRADES_PER_SECOND = 200;

  @Doc('how often the server pings each socket')
  @IntSetting(1000, 3600000, MILLISECONDS)
  WS_PING_INTERVAL_MS = 25000;

  @Doc('a client silent this long after a ping is cut off')
  @IntSetting(1000, 3600000, MILLISECONDS)
  WS_PING_TIMEOUT_MS = 10000;

  @Doc('how long a SIGTERM drain may take')
  @IntSetting(100, 600000, MILLISECONDS)
  SHUTDOWN_GRACE_MS = 10000;

  @Doc('time allowed for the TLS handshake and the request headers')
  @IntSetting(1000, 600000, MILLISECONDS)
  HTTP_HEADERS_TIMEOUT_MS = 10000;

  @Doc(
    'how long browsers keep to HTTPS for this host (Strict-Transport-Security max-age); 0 tells them to forget it',
  )
  @IntSetting(0, 63072000, SECONDS)
  HSTS_MAX_AGE_SECONDS = 31536000;

  @Doc('time allowed for a whole request')
  @IntSetting(1000, 3600000, MILLISECONDS)
  HTTP_REQUEST_TIMEOUT_MS = 30000;

  @Doc('pause between reconnection attempts to Redis (they never give up)')
  @IntSetting(100, 60000, MILLISECONDS)
  REDIS_RETRY_DELAY_MS = 1000;

  @Doc('a Redis command that takes longer fails the request (503 over HTTP)')
  @IntSetting(100, 60000, MILLISECONDS)
  REDIS_COMMAND_TIMEOUT_MS = 5000;

  @Doc(
    'instance heartbeat; an instance silent for 3 intervals has its sessions removed by the others',
  )
  @IntSetting(200, 60000, MILLISECONDS)
  HEARTBEAT_INTERVAL_MS = 2000;

  @Doc('messages kept per room')
  @IntSetting(1, 10000000, 'a number of messages')
  HISTORY_MAX_PER_ROOM = 10000;

  @Doc('DMs kept per user')
  @IntSetting(1, 10000000, 'a number of messages')
  HISTORY_MAX_DMS_PER_USER = 10000;

  @Doc(
    "how long a room's history is kept after its last member left (0: forever); global is never expired",
  )
  @IntSetting(0, 31536000, `${SECONDS} (0: keep forever)`)
  ROOM_HISTORY_TTL_SECONDS = 3 * 86400;

  @Doc('users one user may follow (subscribe); more is FOLLOW_LIMIT')
  @IntSetting(1, 100000, 'a number of users')
  MAX_FOLLOWS_PER_USER = 200;

  @Doc('rooms one user may create per hour; more is ROOM_LIMIT')
  @IntSetting(1, 100000, 'a number of rooms')
  ROOMS_CREATED_PER_HOUR = 20;

  @Doc('how long an invite to a private room stays valid if not used')
  @IntSetting(60, 31536000, 'a whole number of seconds')
  INVITE_TTL_SECONDS = 7 * 86400;

  @Doc('how long a client message id is remembered (retries are never doubled)')
  @IntSetting(1, 2592000, 'a whole number of seconds')
  CID_TTL_SECONDS = 86400;

  @Doc(
    'how long a store step remembers a message sent without cid, so a re-sent step (a failover) is not stored twice',
  )
  @IntSetting(1, 86400, 'a whole number of seconds')
  STORE_TOKEN_TTL_SECONDS = 60;

  @Doc("how long a new session's live frames wait for a first resume")
  @IntSetting(0, 60000, 'a number of milliseconds')
  RESUME_WAIT_MS = 2000;

  @Doc(
    'entries read from each stream per Redis read of a resume replay or offline-DM catch-up',
  )
  @IntSetting(10, 10000, 'a number of messages')
  REPLAY_PAGE_SIZE = 100;

  @Doc(
    'a replay writes its next frame only while the client has less than this unsent (at most half of WS_MAX_BUFFERED_BYTES)',
  )
  @IntSetting(16384, 1073741824, 'a number of bytes')
  REPLAY_MAX_BUFFERED_BYTES = 262144;

  @Doc(
    'expensive reads (history, resume replays, offline-DM catch-ups) one user may run at once across the cluster; more wait, then TOO_MANY_READS',
  )
  @IntSetting(1, 100, 'a number of reads')
  MAX_READS_IN_FLIGHT_PER_USER = 2;

  @Doc(
    'how long a read beyond MAX_READS_IN_FLIGHT_PER_USER waits for one to end before TOO_MANY_READS',
  )
  @IntSetting(0, 60000, MILLISECONDS)
  READ_WAIT_MS = 3000;

  @Doc(
    'a read in flight is forgotten this long after its gateway died (renewed while it runs)',
  )
  @IntSetting(3000, 3600000, MILLISECONDS)
  READ_LEASE_TTL_MS = 30000;

  @Doc(
    "error, warn, log, debug or verbose; Nest's start-up lines per module and route show at debug",
  )
  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], {
    message: 'must be one of error, warn, log, debug, verbose',
  })
  LOG_LEVEL = 'log';

  /** Unset: JSON lines when stdout is not a terminal, readable lines on a terminal. */
  @Doc(
    'json (one JSON record a line) or pretty; unset, JSON unless stdout is a terminal',
  )
  @IsOptional()
  @IsIn(['json', 'pretty'], {
    message: 'must be json or pretty (unset: json unless stdout is a terminal)',
  })
  LOG_FORMAT?: 'json' | 'pretty';

  @Doc(
    'bearer token for GET /metrics, 16+ characters; unset, the metrics are open to anyone who reaches the port',
  )
  @IsOptional()
  @IsString()
  @MinLength(16, {
    message:
      'must be at least 16 characters (leave it unset to serve /metrics without a token)',
  })
  METRICS_TOKEN?: string;

  @Doc(
    'how often each instance sends itself a probe over the bus, one per Redis master; a shard whose probe did not come back by the next one is resubscribed, and /health/ready fails while it is broken or when none came back for 3 intervals',
  )
  @IntSetting(100, 60000, 'a whole number of milliseconds')
  HEALTH_CANARY_INTERVAL_MS = 2000;

  @Doc(
    'on SIGTERM, how long /health/ready (and upgrades) answer 503 before sessions are told to reconnect: longer than your load balancer takes to notice',
  )
  @IntSetting(0, 60000, 'a whole number of milliseconds')
  SHUTDOWN_DRAIN_MS = 3000;

  @Doc(
    'on SIGTERM, each session gets reconnect {withinMs} with this value, then close 1012; its client spreads its reconnect over that window',
  )
  @IntSetting(0, 300000, MILLISECONDS)
  RECONNECT_WINDOW_MS = 5000;
}

export class SettingsError extends Error {}

export interface SettingDoc {
  name: string;
  /** The default as it would be set, or undefined when the setting is unset by default. */
  default?: string;
  meaning?: string;
}

/** Every setting of the class, in its order, with its default and meaning: the source of `--help`. */
export function settingDocs(): SettingDoc[] {
  const defaults = new Settings() as unknown as Record<string, unknown>;
  const validated = getMetadataStorage()
    .getTargetValidationMetadatas(Settings, '', true, false)
    .map((m) => m.propertyName);
  const names = [...new Set([...Object.keys(defaults), ...validated])];
  return names.map((name) => {
    const value = defaults[name];
    return {
      name,
      default: Array.isArray(value)
        ? value.join(',')
        : value === undefined
          ? undefined
          : String(value),
      meaning: MEANINGS.get(name),
    };
  });
}

/** Settings whose value never appears in a message; REDIS_URL and REDIS_CLUSTER_NODES are shown without passwords. */
const SECRETS = new Set([
  'CHAT_JWT_SECRET',
  'CHAT_ADMIN_TOKEN',
  'METRICS_TOKEN',
]);

const shown = (name: string, value: unknown): string => {
  if (SECRETS.has(name)) return `${name} (value hidden)`;
  const text =
    (name === 'REDIS_URL' || name === 'REDIS_CLUSTER_NODES') &&
    typeof value === 'string'
      ? value.split(',').map(redactRedisUrl).join(',')
      : value;
  return `${name}=${JSON.stringify(text ?? null)}`;
};

/** Rules that tie two settings together. */
function crossCheck(settings: Settings): string[] {
  const problems: string[] = [];
  if (settings.HTTP_HEADERS_TIMEOUT_MS > settings.HTTP_REQUEST_TIMEOUT_MS) {
    problems.push(
      'HTTP_HEADERS_TIMEOUT_MS must not be larger than HTTP_REQUEST_TIMEOUT_MS',
    );
  }
  return problems;
}

/** Validates the environment; throws SettingsError naming every bad variable and what it accepts (never a secret's value). */
export function validateSettings(env: Record<string, unknown>): Settings {
  const defined = Object.fromEntries(
    Object.entries(env).filter(
      ([, value]) => value !== undefined && value !== '',
    ),
  );
  const settings = plainToInstance(Settings, defined, {
    excludeExtraneousValues: false,
  });
  const errors = validateSync(settings, {
    skipMissingProperties: false,
    whitelist: false,
  });
  const lines = errors.map(
    (e) =>
      `${shown(e.property, defined[e.property])} ${Object.values(e.constraints ?? {})[0]}`,
  );
  if (lines.length === 0) lines.push(...crossCheck(settings));
  if (lines.length > 0)
    throw new SettingsError(`Invalid setting: ${lines.join('; ')}`);
  return settings;
}
