import { useEffect, useState } from 'preact/hooks';

/**
 * The current time, re-rendered every `everyMs` by a local timer: ages and countdowns move on the
 * page without asking the server anything (live data comes from watches, never from polling).
 */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
