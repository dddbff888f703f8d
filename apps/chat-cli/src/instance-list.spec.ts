import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { address, Endpoint } from './auth-client';
import { InstanceList } from './instance-list';

const at = (host: string, port: number): Endpoint => ({ host, port });
const names = (endpoints: Endpoint[]): string[] => endpoints.map(address);

describe(InstanceList.name, () => {
  it('with one typed port and nothing advertised, retries that port', () => {
    const sut = new InstanceList([at('localhost', 8081)]);
    assert.deepEqual(names(sut.after(at('localhost', 8081))), [
      'localhost:8081',
    ]);
  });

  it('tries the other advertised instances before the one that dropped, keeping a typed loopback name', () => {
    const sut = new InstanceList([at('localhost', 8081)], () => 0);
    sut.learn(['https://127.0.0.1:8081', 'https://127.0.0.1:8000']);
    assert.deepEqual(names(sut.after(at('localhost', 8081))), [
      'localhost:8000',
      'localhost:8081',
    ]);
  });

  it('keeps the typed order first, then the advertised ones in a random order', () => {
    const sut = new InstanceList(
      [at('localhost', 1), at('localhost', 2), at('localhost', 3)],
      () => 0,
    );
    sut.learn([
      'https://[::1]:1',
      'https://127.0.0.1:4',
      'https://127.0.0.1:5',
      'https://localhost:6',
    ]);
    assert.deepEqual(names(sut.after(at('localhost', 2))), [
      'localhost:3',
      'localhost:1',
      'localhost:5',
      'localhost:6',
      'localhost:4',
      'localhost:2',
    ]);
    const orders = new Set<string>();
    const spread = new InstanceList([at('localhost', 1)]);
    spread.learn(['https://127.0.0.1:4', 'https://127.0.0.1:5']);
    for (let i = 0; i < 50; i++)
      orders.add(names(spread.after(at('localhost', 1))).join());
    assert.equal(orders.size, 2, 'both orders occur');
  });

  it('uses advertised host names as given, and skips what is not an https address', () => {
    const sut = new InstanceList([at('chat.example.com', 443)], () => 0);
    sut.learn([
      'https://chat1.example.com',
      'https://10.0.0.2:8000',
      'http://plain.example.com',
      'not a url',
      42,
    ]);
    assert.deepEqual(names(sut.after(at('chat.example.com', 443))), [
      '10.0.0.2:8000',
      'chat1.example.com:443',
      'chat.example.com:443',
    ]);
  });

  it('forgets instances the next welcome no longer lists', () => {
    const sut = new InstanceList([at('localhost', 1)]);
    sut.learn(['https://127.0.0.1:1', 'https://127.0.0.1:2']);
    sut.learn(['https://127.0.0.1:1']);
    assert.deepEqual(names(sut.after(at('localhost', 1))), ['localhost:1']);
    sut.learn(undefined);
    assert.deepEqual(names(sut.after(at('localhost', 1))), ['localhost:1']);
  });
});
