/**
 * Stored objects are deep-frozen: the store never changes one in place (a change stores a new
 * object), so readers that only serialise may be handed the stored object itself (`shared`
 * lists and watches) and caches keyed by object identity stay valid. Freezing turns a reader's
 * accidental write into a TypeError instead of a silent change to stored state.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  // Children first: a frozen object is then always frozen all the way down, so the check above
  // can stop at one (the unchanged parts of an updated object are shared and already frozen).
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
