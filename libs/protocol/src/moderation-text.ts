import { formatDuration } from './durations';
import type { Notice, Removed, RoomRole } from './moderation';

/** A `history` entry that is a stored notice rather than a message: notices carry an `action`. */
export function isNotice(entry: object): entry is Notice {
  return typeof (entry as Partial<Notice>).action === 'string';
}

/**
 * One line for a notice, without its room: `alice banned bob for 10m: spam`, `carol set the topic: ...`,
 * `room is now private, set by alice`. Both clients print it; the terminal sanitizes it first.
 */
export function describeNotice(n: Notice): string {
  const { by } = n;
  const user = n.user ?? 'someone';
  const reason = n.reason ? `: ${n.reason}` : '';
  // An `until` of 0 (or none) is a ban or mute that lasts until lifted.
  const seconds = n.until ? Math.round((n.until - n.ts) / 1000) : 0;
  const span = seconds > 0 ? ` for ${formatDuration(seconds)}` : '';
  switch (n.action) {
    case 'ban':
      return `${by} banned ${user}${span}${reason}`;
    case 'deop':
      return `${by} removed ${user} as operator`;
    case 'invite':
      return `${by} invited ${user}`;
    case 'kick':
      return `${by} kicked ${user}${reason}`;
    case 'mute':
      return `${by} muted ${user}${span}${reason}`;
    case 'op':
      return `${by} made ${user} an operator`;
    case 'owner':
      return `${by} made ${user} the owner`;
    case 'private':
      return `room is now ${n.on ? 'private' : 'public'}, set by ${by}`;
    case 'topic':
      return n.text
        ? `${by} set the topic: ${n.text}`
        : `${by} cleared the topic`;
    case 'unban':
      return `${by} unbanned ${user}`;
    case 'unmute':
      return `${by} unmuted ${user}`;
    default:
      return `${by}: ${String(n.action)}${n.user ? ` ${n.user}` : ''}`;
  }
}

/**
 * `you were kicked from #dev by alice: spamming`, `you were banned from #dev by alice until 14:30: spam`.
 * `clock` writes the ban's end as the client shows times.
 */
export function describeRemoval(
  r: Removed,
  clock: (ms: number) => string,
): string {
  const verb = r.action === 'ban' ? 'banned' : 'kicked';
  const until = r.until ? ` until ${clock(r.until)}` : '';
  const reason = r.reason ? `: ${r.reason}` : '';
  return `you were ${verb} from #${r.room} by ${r.by}${until}${reason}`;
}

/** How `/who` and the member list mark roles: `alice (owner)`, `bob (op)`, and a plain name for everyone else. */
export function withRole(user: string, role: RoomRole | undefined): string {
  return role ? `${user} (${role})` : user;
}

const ROLE_ORDER: Record<RoomRole, number> = { op: 1, owner: 0 };

/** The owner first, then the operators, then everyone else; each group keeps the order given. */
export function byRole(
  users: string[],
  roles: Partial<Record<string, RoomRole>> = {},
): string[] {
  const rank = (user: string): number => {
    const role = roles[user];
    return role ? ROLE_ORDER[role] : 2;
  };
  return [...users].sort((a, b) => rank(a) - rank(b));
}
