import { MAX_MODERATION_SECONDS } from './limits';

const UNIT_SECONDS: Record<string, number> = { d: 86400, h: 3600, m: 60, s: 1 };

/** A typed duration: a whole number and one unit, `30s`, `10m`, `2h` or `1d`. */
export const DURATION_PATTERN = /^(\d{1,9})([smhd])$/i;
export const DURATION_RULE = `use a number and a unit (30s, 10m, 2h or 1d), at most ${MAX_MODERATION_SECONDS / 86400}d`;

/** `10m` → 600; undefined when `text` is not shaped like a duration (it may be the first word of a reason). */
export function parseDuration(text: string): number | undefined {
  const [, count, unit] = DURATION_PATTERN.exec(text) ?? [];
  return count === undefined
    ? undefined
    : Number(count) * UNIT_SECONDS[unit.toLowerCase()];
}

/** 600 → `10m`, 5400 → `1h30m`, 90000 → `1d1h`: the largest units first, zero parts left out. */
export function formatDuration(seconds: number): string {
  let left = Math.max(0, Math.round(seconds));
  if (left === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const count = Math.floor(left / size);
    if (count === 0) continue;
    parts.push(`${count}${unit}`);
    left -= count * size;
  }
  return parts.join('');
}
