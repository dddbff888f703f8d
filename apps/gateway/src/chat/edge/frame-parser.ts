import { RawData } from 'ws';

import { MAX_FRAME_DEPTH } from '@app/protocol';

import { fieldWithLoneSurrogate, nestsDeeperThan } from './frame-guards';
import { isPlainObject } from '../delivery/frames';

export interface ParsedFrame {
  event: string;
  data: Record<string, unknown>;
  /** Why the frame, which did parse, is refused before any handler sees it. */
  problem?: string;
}

const clip = (text: string, max = 64): string =>
  text.length > max ? `${text.slice(0, max)}…` : text;

/** A client frame's event and data, or what is wrong with it; the expensive steps come last. */
export function parseFrame(
  raw: RawData,
  isBinary: boolean,
): ParsedFrame | string {
  if (isBinary) return 'Frames must be JSON text, not binary';
  const text = raw.toString();
  if (nestsDeeperThan(text, MAX_FRAME_DEPTH))
    return `The frame nests arrays or objects deeper than ${MAX_FRAME_DEPTH} levels`;
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch (err) {
    return `Invalid JSON: ${(err as Error).message}`;
  }
  if (!isPlainObject(frame))
    return 'A frame must be a JSON object: {"event": string, "data": object}';
  if (typeof frame.event !== 'string')
    return 'The frame has no "event" string: {"event": string, "data": object}';
  if (frame.data !== undefined && !isPlainObject(frame.data))
    return `"data" of "${clip(frame.event)}" must be a JSON object`;
  const data = (frame.data ?? {}) as Record<string, unknown>;
  const broken = fieldWithLoneSurrogate(data);
  if (broken)
    return {
      event: frame.event,
      data,
      problem: `${broken} holds a lone UTF-16 surrogate: send well-formed Unicode text`,
    };
  return { event: frame.event, data };
}

/** For the UNKNOWN_EVENT message. */
export const clipEvent = clip;
