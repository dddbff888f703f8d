import { isIP } from 'node:net';

import { address, Endpoint } from './auth-client';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

/**
 * Where to reconnect: the ports typed (in their order), then the live instances the last `welcome`
 * advertised, in a random order so that the clients of a dead instance spread over the others.
 */
export class InstanceList {
  private advertised: Endpoint[] = [];

  constructor(
    private readonly typed: Endpoint[],
    private readonly random: () => number = Math.random,
  ) {}

  /** Replaces the advertised instances with `welcome.instances` (the live ones); bad entries are skipped. */
  learn(instances: unknown): void {
    if (!Array.isArray(instances)) return;
    this.advertised = instances.flatMap((url) => {
      const endpoint = this.endpointOf(url);
      return endpoint ? [endpoint] : [];
    });
  }

  /** The endpoints to try after `from` dropped: every other one first, `from` last. */
  after(from: Endpoint): Endpoint[] {
    const key = address(from);
    const at = this.typed.findIndex((e) => address(e) === key);
    const typed =
      at < 0
        ? this.typed
        : [...this.typed.slice(at + 1), ...this.typed.slice(0, at)];
    const others = this.shuffled(
      this.advertised.filter(
        (e) => !typed.some((t) => address(t) === address(e)),
      ),
    );
    return [
      ...unique([...typed, ...others]).filter((e) => address(e) !== key),
      from,
    ];
  }

  /*
   * A loopback address advertised to a client that typed a loopback host names the same machine: the
   * typed name is kept, so messages and the certificate check use the name the user chose.
   */
  private endpointOf(url: unknown): Endpoint | undefined {
    if (typeof url !== 'string') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'https:') return undefined;
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(parsed.port || 443);
    const typedHost = this.typed[0]?.host ?? host;
    const same =
      LOOPBACK.test(host) && LOOPBACK.test(typedHost) ? typedHost : host;
    if (!same || (isIP(same) === 0 && !/^[A-Za-z0-9.-]+$/.test(same)))
      return undefined;
    return { host: same, port };
  }

  private shuffled(endpoints: Endpoint[]): Endpoint[] {
    const copy = [...endpoints];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  }
}

function unique(endpoints: Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return endpoints.filter((e) => {
    const key = address(e);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
