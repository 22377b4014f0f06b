/**
 * A probe's timeout, measured on the monotonic clock from the moment the probe starts.
 *
 * Node's timers count whole milliseconds of the event loop's clock, so a timer can fire up to a
 * millisecond before its full delay (measured in test/hostile: 177 of 1,000 HTTP probes with a
 * 1 s timeout were judged at 999.2–999.9 ms). The kubelet gives every probe its full
 * timeoutSeconds, so a timer that fires early is armed again for what is left.
 * Returns a function that cancels the deadline.
 */
export function startDeadline(
  timeoutMs: number,
  onExpired: () => void,
  /** performance.now() when the probe began, if that was before this call. */
  start = performance.now(),
): () => void {
  const limit = Math.max(0, timeoutMs - (performance.now() - start));
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    const left = timeoutMs - (performance.now() - start);
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    timer = undefined;
    onExpired();
  };
  timer = setTimeout(check, limit);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
