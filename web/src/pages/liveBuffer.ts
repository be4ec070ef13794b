// The live feed's list: newest first, bounded, and counting what arrived while paused. Pure so that the
// bounds are testable without a socket.
import type { SentinelEvent } from '../api/types.ts';

export const FEED_MAX = 200;

export interface Feed {
  items: SentinelEvent[];
  /** arrived while paused, not shown */
  held: SentinelEvent[];
  /** the server dropped this many for us (slow client) since the page opened */
  missed: number;
}

export const EMPTY_FEED: Feed = { items: [], held: [], missed: 0 };

export function addEvent(f: Feed, e: SentinelEvent, paused: boolean, max = FEED_MAX): Feed {
  if (paused) return { ...f, held: [e, ...f.held].slice(0, max) };
  return { ...f, items: [e, ...f.items].slice(0, max) };
}

export function resume(f: Feed, max = FEED_MAX): Feed {
  return { ...f, items: [...f.held, ...f.items].slice(0, max), held: [] };
}

export function addGap(f: Feed, missed: number): Feed {
  return { ...f, missed: f.missed + missed };
}
