import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';

import { WIRES } from './bench-wire';

/** A socket that records what is sent and lets the test play the server's frames. */
class FakeSocket extends EventEmitter {
  readonly sent: string[] = [];
  send(data: string): void {
    this.sent.push(data);
  }
}

describe('WIRES.socketio', () => {
  const sut = WIRES.socketio;

  it('answers the open packet with a CONNECT carrying the token, and each ping with a pong', () => {
    const ws = new FakeSocket();
    sut.attach(ws as unknown as WebSocket, 'r1m0');
    ws.emit('message', Buffer.from('0{"sid":"abc","pingInterval":25000}'));
    ws.emit('message', Buffer.from('2'));
    ws.emit('message', Buffer.from('42["message",{"text":"bench 1 2 x"}]'));
    assert.deepEqual(ws.sent, ['40{"token":"r1m0"}', '3']);
  });

  it('frames events as 42["name",data] and knows them and a refusal by their start', () => {
    assert.equal(
      sut.frame('join', { room: 'bench1' }),
      '42["join",{"room":"bench1"}]',
    );
    assert.equal(
      sut.sendFrame('bench 1 2 xx'),
      '42["send",{"text":"bench 1 2 xx"}]',
    );
    assert.equal(
      sut.sendFrame('bench 1 2 xx', 'b7'),
      '42["send",{"text":"bench 1 2 xx","cid":"b7"}]',
    );
    assert.ok(sut.is(Buffer.from('42["welcome",{"username":"a"}]'), 'welcome'));
    assert.ok(!sut.is(Buffer.from('42["joined",{}]'), 'welcome'));
    assert.equal(
      sut.refusal(Buffer.from('44{"message":"no"}')),
      '44{"message":"no"}',
    );
    assert.equal(sut.refusal(Buffer.from('40{"sid":"x"}')), undefined);
  });
});

describe('WIRES.chat', () => {
  it('sends the chat protocol frames the floor and the gateway read', () => {
    const sut = WIRES.chat;
    assert.equal(sut.path, '/ws');
    assert.deepEqual(sut.headers('t'), { authorization: 'Bearer t' });
    assert.equal(
      sut.sendFrame('bench 1 2 x'),
      '{"event":"send","data":{"text":"bench 1 2 x"}}',
    );
    assert.equal(
      sut.sendFrame('bench 1 2 x', 'b7'),
      '{"event":"send","data":{"text":"bench 1 2 x","cid":"b7"}}',
    );
    assert.ok(sut.is(Buffer.from('{"event":"joined","data":{}}'), 'joined'));
  });
});
