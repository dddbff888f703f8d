/** `scheme://host[:port]` in lower case, without the scheme's default port; null when `value` is not an origin. */
function normalise(value: string): string | null {
  try {
    const url = new URL(value);
    return url.origin === 'null' ? null : url.origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Whether a request carrying this `Origin` header may go on. No header (chat-cli, curl, a same-origin
 * GET) is allowed; so is the gateway's own origin (`https://` + the `Host` it was reached at), so a
 * page it serves itself works; any other origin must be listed in `allowed` (ALLOWED_ORIGINS).
 */
export function isOriginAllowed(
  origin: string | undefined,
  allowed: string[],
  host?: string,
): boolean {
  if (origin === undefined) return true;
  const normalised = normalise(origin);
  if (normalised === null) return false;
  if (host && normalised === normalise(`https://${host}`)) return true;
  return allowed.some((entry) => normalise(entry) === normalised);
}
