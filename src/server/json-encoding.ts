import type { ServerResponse } from 'node:http';
import { sendJsonText } from './http-io.js';

/**
 * JSON text of stored objects, computed once per object. The store deep-freezes what it stores
 * and replaces (never changes) an object on every write, so a frozen object's text can be kept
 * for as long as the object lives: a list of 1,000 unchanged pods is then a join of cached
 * strings, and an event goes to every watcher with one JSON.stringify between them.
 */
const texts = new WeakMap<object, string>();

/** JSON.stringify(obj), cached when the object is frozen (cannot change any more). */
export function encodeObject(obj: object): string {
  if (!Object.isFrozen(obj)) return JSON.stringify(obj);
  let text = texts.get(obj);
  if (text === undefined) {
    text = JSON.stringify(obj);
    texts.set(obj, text);
  }
  return text;
}

export interface ListHead {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string };
}

/** Exactly JSON.stringify({ ...head, items }), with each item's text from the cache. */
export function encodeList(head: ListHead, items: readonly object[]): string {
  const prefix = JSON.stringify(head);
  return `${prefix.slice(0, -1)},"items":[${items.map(encodeObject).join(',')}]}`;
}

/** A watch stream line: exactly JSON.stringify({ type, object }) and a newline. */
export function encodeWatchEvent(type: string, object: object): string {
  return `{"type":${JSON.stringify(type)},"object":${encodeObject(object)}}\n`;
}

export function sendList(res: ServerResponse, head: ListHead, items: readonly object[]): void {
  sendJsonText(res, 200, encodeList(head, items));
}
