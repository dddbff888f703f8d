import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import {
  defineLuaCommand,
  execPipeline,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { Account, ACCOUNT_FIELDS, toAccount } from './account';
import { USER_KEY_PREFIX, userKey } from './auth.constants';
import { PasswordHasher } from './password-hasher.service';

/**
 * Accounts in Redis, one hash per user under the lower-case name (`chat:user:alice`), so names are
 * unique whatever their case; the name as registered is kept in the `name` field. Accounts made
 * before names were case-insensitive sit under their exact name: they are found by that name and
 * moved to the lower-case key at their next login.
 */
@Injectable()
export class UsersService {
  private readonly createUser: LuaCommand<number>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly config: ConfigService,
    private readonly hasher: PasswordHasher,
  ) {
    this.createUser = defineLuaCommand(
      redis,
      'chatCreateUser',
      readLuaFile(__dirname, 'create-user.lua'),
    );
  }

  /** The account of `name` in any case, or null. */
  async find(name: string): Promise<Account | null> {
    const key = userKey(name);
    const legacyKey = USER_KEY_PREFIX + name;
    const pipeline = this.redis.pipeline().hmget(key, ...ACCOUNT_FIELDS);
    if (legacyKey !== key) pipeline.hmget(legacyKey, ...ACCOUNT_FIELDS);
    const [canonical, legacy] = (await execPipeline(pipeline)) as Array<
      Array<string | null>
    >;
    return (
      toAccount(key, canonical) ??
      (legacy ? toAccount(legacyKey, legacy) : null)
    );
  }

  /** The name as registered of the account `name` (in any case), or null when there is none. */
  async resolve(name: string): Promise<string | null> {
    return (await this.find(name))?.name ?? null;
  }

  async exists(name: string): Promise<boolean> {
    return (await this.resolve(name)) !== null;
  }

  /**
   * Creates the account with this password (PASSWORD_MIN_LENGTH applies); null when the name, in
   * any case, is taken.
   */
  async register(name: string, password: string): Promise<Account | null> {
    const minLength = this.config.getOrThrow<number>('PASSWORD_MIN_LENGTH');
    if ([...password].length < minLength) {
      throw new BadRequestException(
        `password is too short: use at least ${minLength} characters`,
      );
    }
    if (await this.find(name)) return null;
    const account: Account = {
      key: userKey(name),
      name,
      hash: await this.hasher.hash(password),
      createdAt: Date.now(),
      revokedBefore: 0,
    };
    const created = await this.createUser(
      [account.key],
      [account.name, account.hash, account.createdAt],
    );
    return created === 1 ? account : null;
  }

  async updateHash(account: Account, hash: string): Promise<void> {
    await this.redis.hset(account.key, 'hash', hash);
  }

  /** Moves an account made before names were case-insensitive to its lower-case key (once; never over another account). */
  async adopt(account: Account): Promise<Account> {
    const key = userKey(account.name);
    if (account.key === key || !(await this.redis.renamenx(account.key, key)))
      return account;
    await this.redis.hset(key, 'name', account.name);
    return { ...account, key };
  }
}
