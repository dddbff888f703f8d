import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

import { MAX_FRAME_BYTES } from '@app/protocol';

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);

/** A whole-number setting from `min` to `max`; the message says what it accepts. */
const IntSetting = (min: number, max: number, what: string): PropertyDecorator => {
  const message = `must be ${what} from ${min} to ${max}`;
  return applyDecorators(Transform(toInt), IsInt({ message }), Min(min, { message }), Max(max, { message }));
};

/** Every setting of the gateway, read from the environment (or --port / --host) and validated at boot. */
export class Settings {
  @IntSetting(0, 65535, 'an integer')
  PORT = 8000;

  @IsString()
  @MinLength(1, { message: 'must be a host name or address, e.g. 0.0.0.0' })
  HOST = '0.0.0.0';

  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @IsString()
  @MinLength(1, { message: 'must be the path of a PEM certificate file' })
  TLS_CERT = 'certs/server.crt';

  @IsString()
  @MinLength(1, { message: 'must be the path of a PEM private key file' })
  TLS_KEY = 'certs/server.key';

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters (leave it unset to share a generated secret through Redis)' })
  CHAT_JWT_SECRET?: string;

  @IntSetting(1, 2592000, 'a whole number of seconds')
  JWT_TTL_SECONDS = 12 * 3600;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  CHAT_ADMIN_TOKEN?: string;

  @IntSetting(1, 100000, 'an integer')
  RATE_LIMIT_PER_SECOND = 20;

  @IntSetting(1, 1000, 'an integer')
  LOGIN_MAX_FAILURES = 10;

  @IntSetting(1, 86400, 'a whole number of seconds')
  LOGIN_FAILURE_WINDOW_SECONDS = 300;

  @IntSetting(1, 100000, 'an integer')
  RATE_LIMIT_BURST = 50;

  @IntSetting(1024, MAX_FRAME_BYTES, 'an integer')
  WS_MAX_FRAME_BYTES = MAX_FRAME_BYTES;

  @IntSetting(65536, 1073741824, 'a number of bytes')
  WS_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

  @IntSetting(100, 60000, 'a whole number of seconds')
  REDIS_RETRY_DELAY_MS = 1000;

  @IntSetting(100, 60000, 'a whole number of seconds')
  REDIS_COMMAND_TIMEOUT_MS = 5000;

  @IntSetting(200, 60000, 'a whole number of seconds')
  HEARTBEAT_INTERVAL_MS = 2000;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], { message: 'must be one of error, warn, log, debug, verbose' })
  LOG_LEVEL = 'log';

  /** Unset: JSON lines when stdout is not a terminal, readable lines on a terminal. */
  @IsOptional()
  @IsIn(['json', 'pretty'], { message: 'must be json or pretty (unset: json unless stdout is a terminal)' })
  LOG_FORMAT?: 'json' | 'pretty';

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters (leave it unset to serve /metrics without a token)' })
  METRICS_TOKEN?: string;

  @IntSetting(100, 60000, 'a whole number of milliseconds')
  HEALTH_CANARY_INTERVAL_MS = 2000;

  @IntSetting(0, 60000, 'a whole number of milliseconds')
  SHUTDOWN_DRAIN_MS = 0;
}

export class SettingsError extends Error {}

/** Validates the environment; throws SettingsError naming every bad variable and what it accepts. */
export function validateSettings(env: Record<string, unknown>): Settings {
  const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const settings = plainToInstance(Settings, defined, { excludeExtraneousValues: false });
  const errors = validateSync(settings, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.property}=${JSON.stringify(defined[e.property] ?? null)} ${Object.values(e.constraints ?? {})[0]}`);
    throw new SettingsError(`Invalid setting: ${lines.join('; ')}`);
  }
  return settings;
}
