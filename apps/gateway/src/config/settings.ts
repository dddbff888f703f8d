import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

import { MAX_FRAME_BYTES } from '@app/protocol';

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);

/** Every setting of the gateway, read from the environment (or --port / --host) and validated at boot. */
export class Settings {
  @Transform(toInt)
  @IsInt({ message: 'must be an integer from 0 to 65535' })
  @Min(0, { message: 'must be an integer from 0 to 65535' })
  @Max(65535, { message: 'must be an integer from 0 to 65535' })
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

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of seconds from 1 to 2592000 (30 days)' })
  @Min(1, { message: 'must be a whole number of seconds from 1 to 2592000 (30 days)' })
  @Max(2592000, { message: 'must be a whole number of seconds from 1 to 2592000 (30 days)' })
  JWT_TTL_SECONDS = 12 * 3600;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  CHAT_ADMIN_TOKEN?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be an integer from 1 to 100000' })
  @Min(1, { message: 'must be an integer from 1 to 100000' })
  @Max(100000, { message: 'must be an integer from 1 to 100000' })
  RATE_LIMIT_PER_SECOND = 20;

  @Transform(toInt)
  @IsInt({ message: 'must be an integer from 1 to 100000' })
  @Min(1, { message: 'must be an integer from 1 to 100000' })
  @Max(100000, { message: 'must be an integer from 1 to 100000' })
  RATE_LIMIT_BURST = 50;

  @Transform(toInt)
  @IsInt({ message: `must be an integer from 1024 to ${MAX_FRAME_BYTES}` })
  @Min(1024, { message: `must be an integer from 1024 to ${MAX_FRAME_BYTES}` })
  @Max(MAX_FRAME_BYTES, { message: `must be an integer from 1024 to ${MAX_FRAME_BYTES}` })
  WS_MAX_FRAME_BYTES = MAX_FRAME_BYTES;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of bytes from 65536 to 1073741824' })
  @Min(65536, { message: 'must be a number of bytes from 65536 to 1073741824' })
  @Max(1073741824, { message: 'must be a number of bytes from 65536 to 1073741824' })
  WS_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of milliseconds from 100 to 60000' })
  @Min(100, { message: 'must be a number of milliseconds from 100 to 60000' })
  @Max(60000, { message: 'must be a number of milliseconds from 100 to 60000' })
  REDIS_RETRY_DELAY_MS = 1000;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of milliseconds from 100 to 60000' })
  @Min(100, { message: 'must be a number of milliseconds from 100 to 60000' })
  @Max(60000, { message: 'must be a number of milliseconds from 100 to 60000' })
  REDIS_COMMAND_TIMEOUT_MS = 5000;

  @Transform(toInt)
  @IsInt({ message: 'must be a number of milliseconds from 200 to 60000' })
  @Min(200, { message: 'must be a number of milliseconds from 200 to 60000' })
  @Max(60000, { message: 'must be a number of milliseconds from 200 to 60000' })
  HEARTBEAT_INTERVAL_MS = 2000;

  @IsIn(['error', 'warn', 'log', 'debug', 'verbose'], { message: 'must be one of error, warn, log, debug, verbose' })
  LOG_LEVEL = 'log';
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
