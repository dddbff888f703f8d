import 'reflect-metadata';

import { BadRequestException, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

import { PasswordHasher, UsersService } from '@app/auth';
import { MAX_PASSWORD_BYTES, NAME_PATTERN, NAME_RULE } from '@app/protocol';
import { RedisModule } from '@app/redis';

import { assertRedisReachable, BootError } from './bootstrap-checks';
import { SettingsError, validateSettings } from './config/settings';

const USAGE = 'usage: npm run user:add -- NAME [--password-stdin]';

class UsageError extends Error {}

@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      cache: true,
      ignoreEnvFile: true,
      validate: validateSettings,
    }),
    RedisModule,
  ],
  providers: [PasswordHasher, UsersService],
})
class UserAddModule {}

/** The password: asked twice, hidden, on a terminal; otherwise (or with --password-stdin) the first line of stdin. */
async function readPassword(fromStdin: boolean): Promise<string> {
  const terminal =
    !fromStdin && Boolean(process.stdin.isTTY && process.stderr.isTTY);
  let muted = false;
  const output = new Writable({
    write: (chunk, _encoding, done) => (
      muted || process.stderr.write(chunk),
      done()
    ),
  });
  const rl = createInterface({
    input: process.stdin,
    output: terminal ? output : undefined,
    terminal,
  });
  const ask = (question: string): Promise<string | undefined> =>
    new Promise((resolve) => {
      rl.once('close', () => resolve(undefined));
      if (terminal) process.stderr.write(question);
      muted = true;
      rl.question('', (answer) => {
        muted = false;
        if (terminal) process.stderr.write('\n');
        resolve(answer);
      });
    });
  try {
    const password = await ask('Password: ');
    if (!password)
      throw new UsageError(
        'no password given (type it, or pipe it with --password-stdin)',
      );
    if (terminal && (await ask('Repeat the password: ')) !== password)
      throw new UsageError('the two passwords differ; nothing was created');
    return password;
  } finally {
    rl.close();
  }
}

/** `npm run user:add -- NAME`: creates an account with the gateway's settings (REDIS_URL, ARGON2_*, PASSWORD_MIN_LENGTH). */
async function main(argv: string[]): Promise<number> {
  const names = argv.filter((arg) => arg !== '--password-stdin');
  if (names.length !== 1 || names[0].startsWith('-'))
    throw new UsageError(USAGE);
  const [name] = names;
  if (!NAME_PATTERN.test(name))
    throw new UsageError(`the name "${name}" is invalid: ${NAME_RULE}`);
  const settings = validateSettings(process.env);
  await assertRedisReachable(settings);
  const password = await readPassword(names.length !== argv.length);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES)
    throw new UsageError(
      `the password is too long: use at most ${MAX_PASSWORD_BYTES} bytes`,
    );

  const app = await NestFactory.createApplicationContext(UserAddModule, {
    logger: ['error', 'warn'],
  });
  try {
    const account = await app.get(UsersService).register(name, password);
    if (!account)
      throw new UsageError(
        `user "${name}" exists already (names are case-insensitive): choose another name`,
      );
    process.stdout.write(`Created user "${account.name}"\n`);
    return 0;
  } finally {
    await app.close();
  }
}

/** Runs `main` and exits with its code; a known failure is one line on stderr, not a stack. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: Error) => {
      const known =
        err instanceof UsageError ||
        err instanceof BootError ||
        err instanceof SettingsError ||
        err instanceof BadRequestException;
      process.stderr.write(
        `error: ${known ? err.message : (err.stack ?? err.message)}\n`,
      );
      process.exit(1);
    },
  );
}
