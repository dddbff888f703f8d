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

const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first string field of a (shallow, already depth-checked) value that holds a lone UTF-16 surrogate. */
export function fieldWithLoneSurrogate(
  value: unknown,
  path = 'data',
): string | undefined {
  if (typeof value === 'string')
    return LONE_SURROGATE.test(value) ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = fieldWithLoneSurrogate(item, `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
