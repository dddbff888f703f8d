import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { availableParallelism } from 'node:os';

import { SettingsError, validateSettings } from './settings';

describe(validateSettings.name, () => {
  it('fills every default and converts numbers', () => {
    const sut = validateSettings({ PORT: '8081' });
    assert.equal(sut.PORT, 8081);
    assert.equal(sut.HOST, '0.0.0.0');
    assert.equal(sut.REDIS_URL, 'redis://127.0.0.1:6379');
    assert.equal(sut.JWT_TTL_SECONDS, 43200);
    assert.equal(sut.WS_MAX_FRAME_BYTES, 65536);
    assert.equal(sut.CHAT_ADMIN_TOKEN, undefined);
    assert.equal(sut.REGISTRATION, 'open');
    assert.equal(sut.PASSWORD_MIN_LENGTH, 1);
    assert.deepEqual(
      [sut.ARGON2_MEMORY_KIB, sut.ARGON2_TIME_COST, sut.ARGON2_PARALLELISM],
      [19456, 2, 1],
    );
    assert.equal(sut.HASH_CONCURRENCY, availableParallelism());
    assert.equal(sut.WS_MAX_BUFFERED_BYTES, 1048576);
    assert.deepEqual(sut.ALLOWED_ORIGINS, []);
    assert.deepEqual(
      [
        sut.RATE_LIMIT_STRIKES,
        sut.MAX_SESSIONS_PER_USER,
        sut.MAX_CONNECTIONS_PER_ADDRESS,
        sut.WS_PING_INTERVAL_MS,
        sut.WS_PING_TIMEOUT_MS,
      ],
      [3, 10, 100, 25000, 10000],
    );
    assert.deepEqual(
      [
        sut.SHUTDOWN_GRACE_MS,
        sut.HTTP_HEADERS_TIMEOUT_MS,
        sut.HTTP_REQUEST_TIMEOUT_MS,
      ],
      [10000, 10000, 30000],
    );
    assert.equal(sut.HSTS_MAX_AGE_SECONDS, 31536000);
    assert.deepEqual(
      [
        sut.SHUTDOWN_DRAIN_MS,
        sut.RECONNECT_WINDOW_MS,
        sut.MAX_PENDING_UPGRADES,
        sut.UPGRADES_PER_SECOND,
      ],
      [3000, 5000, 100, 200],
      'the drain outlasts deploy/haproxy/haproxy.cfg noticing (2 checks 1 s apart)',
    );
  });

  it('bounds replays and reads in flight, with defaults', () => {
    const sut = validateSettings({});
    assert.deepEqual(
      [
        sut.REPLAY_PAGE_SIZE,
        sut.REPLAY_MAX_BUFFERED_BYTES,
        sut.MAX_READS_IN_FLIGHT_PER_USER,
        sut.READ_WAIT_MS,
        sut.READ_LEASE_TTL_MS,
      ],
      [100, 262144, 2, 3000, 30000],
    );
    assert.throws(
      () => validateSettings({ MAX_READS_IN_FLIGHT_PER_USER: '0' }),
      /MAX_READS_IN_FLIGHT_PER_USER="0" must be a number of reads from 1 to 100/,
    );
    assert.throws(
      () => validateSettings({ READ_LEASE_TTL_MS: '500' }),
      /READ_LEASE_TTL_MS="500" must be a whole number of milliseconds from 3000/,
    );
  });

  it('keeps WebSocket tickets 30 s by default, and from 1 s to 5 min', () => {
    assert.equal(validateSettings({}).WS_TICKET_TTL_MS, 30000);
    assert.equal(
      validateSettings({ WS_TICKET_TTL_MS: '1000' }).WS_TICKET_TTL_MS,
      1000,
    );
    assert.throws(
      () => validateSettings({ WS_TICKET_TTL_MS: '999' }),
      /WS_TICKET_TTL_MS="999" must be a whole number of milliseconds from 1000 to 300000/,
    );
  });

  it('reads ALLOWED_ORIGINS as a comma list of origins', () => {
    const sut = validateSettings({
      ALLOWED_ORIGINS: ' https://chat.example.com, http://localhost:3000 ,',
    });
    assert.deepEqual(sut.ALLOWED_ORIGINS, [
      'https://chat.example.com',
      'http://localhost:3000',
    ]);
    assert.throws(
      () => validateSettings({ ALLOWED_ORIGINS: '*' }),
      /ALLOWED_ORIGINS="\*" must be a comma-separated list of origins/,
    );
    assert.throws(
      () =>
        validateSettings({ ALLOWED_ORIGINS: 'https://chat.example.com/app' }),
      /ALLOWED_ORIGINS/,
    );
  });

  it('reads REDIS_CLUSTER_NODES as host:port or redis URLs, comma-separated, and hides their passwords in errors', () => {
    assert.equal(validateSettings({}).REDIS_CLUSTER_NODES, undefined);
    for (const nodes of [
      '10.0.0.1:7000,10.0.0.2:7000',
      'redis-a:7000, [::1]:7001',
      'rediss://user:secret@cache-1:7000,cache-2:7000',
    ])
      assert.equal(
        validateSettings({ REDIS_CLUSTER_NODES: nodes }).REDIS_CLUSTER_NODES,
        nodes,
      );
    assert.throws(
      () =>
        validateSettings({
          REDIS_CLUSTER_NODES: 'redis://:hunter2@a:7000,b',
        }),
      (err: Error) =>
        /REDIS_CLUSTER_NODES="redis:\/\/:\*\*\*@a:7000,b" must be host:port,host:port/.test(
          err.message,
        ) && !err.message.includes('hunter2'),
    );
  });

  it('names each bad setting and what it accepts', () => {
    assert.throws(
      () =>
        validateSettings({
          PORT: '70000',
          REDIS_URL: 'localhost:6379',
          REGISTRATION: 'maybe',
        }),
      (err: Error) =>
        err instanceof SettingsError &&
        /PORT="70000" must be an integer from 0 to 65535/.test(err.message) &&
        /REDIS_URL="localhost:6379" must be a redis:\/\//.test(err.message) &&
        /REGISTRATION="maybe" must be open .* or closed/.test(err.message),
    );
    assert.throws(() => validateSettings({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    assert.throws(
      () => validateSettings({ RATE_LIMIT_BURST: '1.5' }),
      /RATE_LIMIT_BURST/,
    );
    assert.throws(
      () => validateSettings({ HEARTBEAT_INTERVAL_MS: '5' }),
      /HEARTBEAT_INTERVAL_MS="5" must be a whole number of milliseconds/,
    );
    assert.throws(
      () => validateSettings({ PUBLIC_URL: 'https://chat.example.com/ws' }),
      /PUBLIC_URL="https:\/\/chat.example.com\/ws" must be the https:\/\/ address/,
    );
    assert.equal(
      validateSettings({ PUBLIC_URL: 'https://[::1]:8000' }).PUBLIC_URL,
      'https://[::1]:8000',
    );
    assert.throws(
      () => validateSettings({ HTTP_HEADERS_TIMEOUT_MS: '40000' }),
      /HTTP_HEADERS_TIMEOUT_MS must not be larger than HTTP_REQUEST_TIMEOUT_MS/,
    );
  });

  it('never shows the value of a secret, only its name and the rule', () => {
    const secrets = {
      CHAT_JWT_SECRET: 'jwt-secret-too-short',
      CHAT_ADMIN_TOKEN: 'admin-tok',
      METRICS_TOKEN: 'metrics-tok',
      REDIS_URL: 'redis://user:hunter2 pw@host:6379',
    };
    assert.throws(
      () => validateSettings(secrets),
      (err: Error) =>
        /CHAT_JWT_SECRET \(value hidden\) must be at least 32 characters/.test(
          err.message,
        ) &&
        /CHAT_ADMIN_TOKEN \(value hidden\) must be at least 16 characters/.test(
          err.message,
        ) &&
        /METRICS_TOKEN \(value hidden\) must be at least 16 characters/.test(
          err.message,
        ) &&
        /REDIS_URL="redis:\/\/user:\*\*\*@host:6379" must be/.test(
          err.message,
        ) &&
        !/jwt-secret-too-short|admin-tok|metrics-tok|hunter2/.test(err.message),
    );
  });
});
