export interface Account {
  /** The Redis key it is stored under. */
  key: string;
  /** The name as registered (the display name). */
  name: string;
  hash: string;
  createdAt: number;
  /** Tokens issued before this time (ms) are refused: `POST /auth/logout?all=1`. */
  revokedBefore: number;
  /** True while an admin has disabled the account: it cannot log in, and its sessions are closed. */
  disabled: boolean;
}

/** The hash fields read for an account, in the order `toAccount` expects them. */
export const ACCOUNT_FIELDS = [
  'hash',
  'name',
  'createdAt',
  'revokedBefore',
  'disabled',
] as const;

/**
 * The account in an HMGET reply of ACCOUNT_FIELDS, or null when there is none. Old accounts have no `name`:
 * `keyName`, the name their key was made of, is theirs.
 */
export function toAccount(
  key: string,
  reply: Array<string | null>,
  keyName: string,
): Account | null {
  const [hash, name, createdAt, revokedBefore, disabled] = reply;
  if (!hash) return null;
  return {
    key,
    name: name ?? keyName,
    hash,
    createdAt: Number(createdAt ?? 0),
    revokedBefore: Number(revokedBefore ?? 0),
    disabled: disabled === '1',
  };
}
