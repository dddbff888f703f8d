import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import {
  defineLuaCommand,
  LuaCommand,
  readLuaFile,
  REDIS,
  RedisClient,
} from '@app/redis';

import { Account, ACCOUNT_FIELDS, toAccount } from './account';
import { AuthKeys } from './auth-keys';
import { PasswordHasher } from './password-hasher.service';

/**
 * Accounts in Redis, one hash per user under the lower-case name (`auth:{u:alice}:account`), so names are
 * unique whatever their case; the name as registered is kept in the `name` field. Accounts made before
 * the cluster key layout sit at `chat:user:<lower-case name>`, and older ones, made before names were
 * case-insensitive, at `chat:user:<exact name>`: they are found there and moved at their next login.
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
    const key = AuthKeys.account(name);
    const account = toAccount(
      key,
      await this.redis.hmget(key, ...ACCOUNT_FIELDS),
      name,
    );
    if (account) return account;
    // Each key is its own slot on a cluster: separate reads, not one pipeline.
    const legacy = [
      ...new Set([name.toLowerCase(), name].map(AuthKeys.legacyAccount)),
    ];
    const replies = await Promise.all(
      legacy.map((k) => this.redis.hmget(k, ...ACCOUNT_FIELDS)),
    );
    for (const [i, reply] of replies.entries()) {
      const found = toAccount(legacy[i], reply, name);
      if (found) return found;
    }
    return null;
  }

  /** The name as registered of the account `name` (in any case), or null when there is none. */
  async resolve(name: string): Promise<string | null> {
    return (await this.find(name))?.name ?? null;
  }

  /** Disables (or enables again) the account; false when there is none. */
  async setDisabled(name: string, disabled: boolean): Promise<string | null> {
    const account = await this.find(name);
    if (!account) return null;
    if (disabled) await this.redis.hset(account.key, 'disabled', '1');
    else await this.redis.hdel(account.key, 'disabled');
    return account.name;
  }

  /** True while an admin has disabled the account. */
  async isDisabled(name: string): Promise<boolean> {
    return (await this.find(name))?.disabled ?? false;
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
      key: AuthKeys.account(name),
      name,
      hash: await this.hasher.hash(password),
      createdAt: Date.now(),
      revokedBefore: 0,
      disabled: false,
    };
    const created = await this.createUser(
      [account.key],
      [
        'name',
        account.name,
        'hash',
        account.hash,
        'createdAt',
        account.createdAt,
      ],
    );
    return created === 1 ? account : null;
  }

  async updateHash(account: Account, hash: string): Promise<void> {
    await this.redis.hset(account.key, 'hash', hash);
  }

  /**
   * Moves an account from an older key to `auth:{u:<name>}:account` (once; never over another account).
   * Two slots, two steps: the copy (kept only if the new key has no account yet), then the old key's delete.
   * A cut between them leaves the old key unread (the new one is found first); the copy is the account.
   */
  async adopt(account: Account): Promise<Account> {
    const key = AuthKeys.account(account.name);
    if (account.key === key) return account;
    const fields = [
      'name',
      account.name,
      'hash',
      account.hash,
      'createdAt',
      account.createdAt,
      ...(account.revokedBefore > 0
        ? ['revokedBefore', account.revokedBefore]
        : []),
    ];
    if ((await this.createUser([key], fields)) === 0) return account;
    await this.redis.del(account.key);
    return { ...account, key };
  }
}
