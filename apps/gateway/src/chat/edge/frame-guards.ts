/**
 * Cheap checks that run on a client frame before anything expensive does (JSON.parse builds what it
 * reads, and validation walks it): both are linear in the frame's length and allocate nothing.
 */

/** True when arrays and objects in the JSON text nest deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Well-formed UTF-16: no lone surrogate (V8's native check, ES2024). */
const isWellFormed = (text: string): boolean =>
  (text as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * The first string field of a (shallow, already depth-checked) value that holds a lone UTF-16 surrogate.
 * The path is built only for a field that has one.
 */
export function fieldWithLoneSurrogate(
  value: unknown,
  path = 'data',
): string | undefined {
  if (typeof value === 'string') return isWellFormed(value) ? undefined : path;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    const suspect =
      typeof item === 'string' ? !isWellFormed(item) : typeof item === 'object';
    if (!suspect) continue;
    const found = fieldWithLoneSurrogate(item, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
