/**
 * `token`: a kept token was refused (HTTP 401 on the upgrade or the refresh); logging in with the password may still work.
 * `disabled`: an admin disabled the account (close 4403); nothing works until they enable it again.
 */
export type ConnectFailure =
  | 'refused'
  | 'untrusted'
  | 'login'
  | 'token'
  | 'network'
  | 'protocol'
  | 'disabled';

const CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** Why reaching a gateway failed, with the one line the user sees. `fatal` failures are not retried. */
export class ConnectError extends Error {
  constructor(
    readonly failure: ConnectFailure,
    message: string,
    /** The server's `Retry-After` (429, 503): do not try again sooner. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** `Retry-After` in milliseconds (seconds or an HTTP date), or undefined when absent or unreadable. */
  static retryAfter(header: string | string[] | undefined): number | undefined {
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) return undefined;
    if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
  }

  get fatal(): boolean {
    return (
      this.failure === 'untrusted' ||
      this.failure === 'login' ||
      this.failure === 'disabled'
    );
  }

  /** The server closed the socket with 4403 (or refused the upgrade with 403): the account was disabled. */
  static disabled(address: string, how = 'code 4403'): ConnectError {
    const what =
      how === 'code 4403' ? 'closed the connection' : 'refused the connection';
    return new ConnectError(
      'disabled',
      `${address} ${what}: your account has been disabled by an administrator (${how}). ` +
        'It cannot log in until an administrator enables it again.',
    );
  }

  /** Classifies a socket or TLS error raised while talking to `address` (host:port). */
  static from(error: unknown, address: string): ConnectError {
    if (error instanceof ConnectError) return error;
    const err = error as NodeJS.ErrnoException;
    const code = err?.code ?? '';
    if (CERTIFICATE_CODES.has(code)) {
      return new ConnectError(
        'untrusted',
        `The certificate of ${address} is not trusted (${err.message}): pass --ca FILE with the server's certificate ` +
          '(or --insecure, for development only). The password was not sent.',
      );
    }
    if (code === 'ECONNREFUSED') {
      return new ConnectError(
        'refused',
        `Cannot connect to ${address}: connection refused (is the gateway running on that port?)`,
      );
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      return new ConnectError(
        'refused',
        `Cannot connect to ${address}: unknown host`,
      );
    }
    if (code === 'EPROTO' || code.startsWith('ERR_SSL')) {
      return new ConnectError(
        'protocol',
        `Cannot connect to ${address}: the TLS handshake failed (${err.message}); is it the gateway's TLS port?`,
      );
    }
    return new ConnectError(
      'network',
      `Cannot connect to ${address}: ${err?.message ?? String(error)}`,
    );
  }
}
