import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** This process's name in the cluster: shown in `welcome`, and the key of its sessions in Redis. */
export const INSTANCE_NAME = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
