import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import {
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
import { redactRedisUrl } from '@app/redis';

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

const SECONDS = 'a whole number of seconds';
const MILLISECONDS = 'a whole number of milliseconds';

/** `scheme://host[:port]` as browsers send it in `Origin`: no path, no wildcard. */
const ORIGIN_PATTERN =
  /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9a-f:.]+\](:\d{1,5})?$/i;

/** Every setting of the gateway, read from the environment (or --port / --host) and validated at boot. */
export class Settings {
  @IntSetting(0, 65535, 'an integer')
  PORT = 8000;

  @IsString()
  @MinLength(1, { message: 'must be a host name or address, e.g. 0.0.0.0' })
  HOST = '0.0.0.0';

  @Matches(/^rediss?:\/\/[^\s]+$/, {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
  })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsString()
  @MinLength(1, { message: 'must be the path of a PEM certificate file' })
  TLS_CERT = 'certs/server.crt';

  @IsString()
  @MinLength(1, { message: 'must be the path of a PEM private key file' })
  TLS_KEY = 'certs/server.key';

  @IsOptional()
  @IsString()
  @MinLength(32, {
    message:
      'must be at least 32 characters (leave it unset to share a generated secret through Redis)',
  })
  CHAT_JWT_SECRET?: string;

  @IntSetting(1, 2592000, SECONDS)
  JWT_TTL_SECONDS = 12 * 3600;

  @IntSetting(1000, 300000, MILLISECONDS)
  WS_TICKET_TTL_MS = 30000;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  CHAT_ADMIN_TOKEN?: string;

  @IsIn(['open', 'closed'], {
    message:
      'must be open (a first login registers an unused name) or closed (only an admin creates accounts)',
  })
  REGISTRATION: 'open' | 'closed' = 'open';

  @IntSetting(1, MAX_PASSWORD_BYTES, 'a number of characters')
  PASSWORD_MIN_LENGTH = 1;

  @IntSetting(1024, 4194304, 'a number of KiB')
  ARGON2_MEMORY_KIB = 19456;

  @IntSetting(1, 100, 'an integer')
  ARGON2_TIME_COST = 2;

  @IntSetting(1, 64, 'an integer')
  ARGON2_PARALLELISM = 1;

  @IntSetting(1, 1024, 'an integer')
  HASH_CONCURRENCY = availableParallelism();

  @IntSetting(0, 100000, 'an integer')
  HASH_QUEUE_LIMIT = 64;

  @IntSetting(1, 1000, 'an integer')
  LOGIN_MAX_FAILURES = 10;

  @IntSetting(1, 100000, 'an integer')
  LOGIN_MAX_FAILURES_PER_ADDRESS = 30;

  @IntSetting(1, 86400, SECONDS)
  LOGIN_FAILURE_WINDOW_SECONDS = 300;

  @IntSetting(1, 100000, 'an integer')
  REGISTRATIONS_PER_ADDRESS = 10;

  @IntSetting(1, 604800, SECONDS)
  REGISTRATION_WINDOW_SECONDS = 3600;

  @IntSetting(1, 100000, 'an integer')
  RATE_LIMIT_PER_SECOND = 20;

  @IntSetting(1, 100000, 'an integer')
  RATE_LIMIT_BURST = 50;

  @IntSetting(1, 1000, 'an integer')
  RATE_LIMIT_STRIKES = 3;

  @IntSetting(1, 100000, 'an integer')
  MAX_SESSIONS_PER_USER = 10;

  @IntSetting(1, 1000000, 'an integer')
  MAX_CONNECTIONS_PER_ADDRESS = 100;

  @IsString({ each: true })
  @Transform(toList)
  @Matches(ORIGIN_PATTERN, {
    each: true,
    message:
      'must be a comma-separated list of origins such as https://chat.example.com (scheme://host[:port], no path, no *)',
  })
  ALLOWED_ORIGINS: string[] = [];

  @IntSetting(1024, MAX_FRAME_BYTES, 'an integer')
  WS_MAX_FRAME_BYTES = MAX_FRAME_BYTES;

  @IntSetting(65536, 1073741824, 'a number of bytes')
  WS_MAX_BUFFERED_BYTES = 1024 * 1024;

  @IntSetting(1000, 3600000, MILLISECONDS)
  WS_PING_INTERVAL_MS = 25000;

  @IntSetting(1000, 3600000, MILLISECONDS)
  WS_PING_TIMEOUT_MS = 10000;

  @IntSetting(100, 600000, MILLISECONDS)
  SHUTDOWN_GRACE_MS = 10000;

  @IntSetting(1000, 600000, MILLISECONDS)
  HTTP_HEADERS_TIMEOUT_MS = 10000;

  @IntSetting(1000, 3600000, MILLISECONDS)
  HTTP_REQUEST_TIMEOUT_MS = 30000;

  @IntSetting(100, 60000, MILLISECONDS)
  REDIS_RETRY_DELAY_MS = 1000;

  @IntSetting(100, 60000, MILLISECONDS)
  REDIS_COMMAND_TIMEOUT_MS = 5000;

  @IntSetting(200, 60000, MILLISECONDS)
  HEARTBEAT_INTERVAL_MS = 2000;

  @IntSetting(1, 10000000, 'a number of messages')
  HISTORY_MAX_PER_ROOM = 10000;

  @IntSetting(1, 10000000, 'a number of messages')
  HISTORY_MAX_DMS_PER_USER = 10000;

  @IntSetting(1, 2592000, 'a whole number of seconds')
  CID_TTL_SECONDS = 86400;

  @IntSetting(0, 60000, 'a number of milliseconds')
  RESUME_WAIT_MS = 2000;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], {
    message: 'must be one of error, warn, log, debug, verbose',
  })
  LOG_LEVEL = 'log';

  /** Unset: JSON lines when stdout is not a terminal, readable lines on a terminal. */
  @IsOptional()
  @IsIn(['json', 'pretty'], {
    message: 'must be json or pretty (unset: json unless stdout is a terminal)',
  })
  LOG_FORMAT?: 'json' | 'pretty';

  @IsOptional()
  @IsString()
  @MinLength(16, {
    message:
      'must be at least 16 characters (leave it unset to serve /metrics without a token)',
  })
  METRICS_TOKEN?: string;

  @IntSetting(100, 60000, 'a whole number of milliseconds')
  HEALTH_CANARY_INTERVAL_MS = 2000;

  @IntSetting(0, 60000, 'a whole number of milliseconds')
  SHUTDOWN_DRAIN_MS = 0;
}

export class SettingsError extends Error {}

/** Settings whose value never appears in a message; REDIS_URL is shown without its password. */
const SECRETS = new Set(['CHAT_JWT_SECRET', 'CHAT_ADMIN_TOKEN']);

const shown = (name: string, value: unknown): string => {
  if (SECRETS.has(name)) return `${name} (value hidden)`;
  const text =
    name === 'REDIS_URL' && typeof value === 'string'
      ? redactRedisUrl(value)
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
