import { randomBytes } from 'node:crypto';

/**
 * Client message ids (`cid`) for `send` and `dm`: a random prefix per run plus a counter. The server
 * answers a repeated cid with the original `sent`, so a line sent again after a drop is never stored twice.
 */
export class ClientIds {
  private count = 0;

  constructor(private readonly prefix = randomBytes(6).toString('base64url')) {}

  next(): string {
    return `${this.prefix}-${++this.count}`;
  }
}
