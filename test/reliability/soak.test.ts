/**
 * Issue 7 item 4, soak (CI variant of `npm run bench -- soak`): a crash-looping pod at maximum
 * churn (100ms back-off) for SOAK_SECONDS (default 120; the benchmark runs 10 minutes) against a
 * real `podvisor up`. After a 30 s warm-up, RSS, open fds, active timers/handles and Event rows
 * stay within bounds that a per-restart leak would break:
 *  - RSS: +48 MiB at most from the end of warm-up. The watch cache keeps the last 5000 changes
 *    per resource (MemoryStore historySize), so RSS climbs while that window fills with pod
 *    status changes (~25 MiB at most), then stays flat; a leak of a few KiB per restart over the
 *    ~1000 restarts here would still show in the 10-minute benchmark, whose table is the record.
 *  - fds: +5 (a restart briefly holds a spawn's pipes; nothing may stay behind).
 *  - timers and handles keeping the event loop alive: +8 (a few probe/back-off timers in flight).
 *  - Events: the crash loop's Events are deduplicated (count++) and rate-limited per object
 *    (spec §5), so rows may grow by 10 at most, and never past the 10,000-row retention cap.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runSoak, soakTable } from '../../bench/soak/soak.js';
import { newMarker } from '../helpers/e2e-pods.js';
import { killProcessesWithMarker } from '../helpers/podvisor-node.js';

const SOAK_SECONDS = Number(process.env.PODVISOR_SOAK_SECONDS ?? 120);
const WARMUP_SECONDS = 30;
const MARKER = newMarker('soak');
const RSS_GROWTH_MIB = 48;
const FD_GROWTH = 5;
const HANDLE_GROWTH = 8;
const EVENT_GROWTH = 10;
const EVENT_RETENTION_CAP = 10_000;

after(() => {
  killProcessesWithMarker(MARKER);
});

describe('issue 7 item 4: soak', { timeout: (SOAK_SECONDS + 120) * 1000 }, () => {
  test(`a crash loop at maximum churn for ${SOAK_SECONDS} s: no growth in RSS, fds, timers or Event rows`, async (t) => {
    const result = await runSoak({
      durationMs: SOAK_SECONDS * 1000,
      warmupMs: WARMUP_SECONDS * 1000,
      sampleEveryMs: 5000,
      marker: MARKER,
    });
    const { warm, end, peak } = result;
    t.diagnostic(`\n${soakTable(result)}`);
    const restartsPerSecond = (end.restarts - warm.restarts) / (end.t - warm.t);
    t.diagnostic(
      `soak ${SOAK_SECONDS} s: ${end.restarts} restarts (${restartsPerSecond.toFixed(1)}/s after warm-up); ` +
        `RSS ${warm.rssMiB.toFixed(1)} → ${end.rssMiB.toFixed(1)} MiB (peak ${peak.rssMiB.toFixed(1)}); ` +
        `fds ${warm.fds} → ${end.fds} (peak ${peak.fds}); timers ${warm.timers} → ${end.timers} (peak ${peak.timers}); ` +
        `handles ${warm.handles} → ${end.handles} (peak ${peak.handles}); events ${warm.events} → ${end.events}`,
    );

    assert.ok(
      end.restarts - warm.restarts >= (end.t - warm.t) / 2,
      `the pod churned (${end.restarts} restarts)`,
    );
    assert.ok(
      end.rssMiB - warm.rssMiB <= RSS_GROWTH_MIB,
      `RSS grew ${(end.rssMiB - warm.rssMiB).toFixed(1)} MiB after warm-up (bound ${RSS_GROWTH_MIB})`,
    );
    assert.ok(end.fds <= warm.fds + FD_GROWTH, `fds ${warm.fds} → ${end.fds}`);
    assert.ok(!Number.isNaN(warm.timers), 'podvisor reported its active timers');
    assert.ok(peak.timers <= warm.timers + HANDLE_GROWTH, `timers ${warm.timers} → peak ${peak.timers}`);
    assert.ok(peak.handles <= warm.handles + HANDLE_GROWTH, `handles ${warm.handles} → peak ${peak.handles}`);
    assert.ok(end.events <= warm.events + EVENT_GROWTH, `Event rows ${warm.events} → ${end.events}`);
    assert.ok(peak.events <= EVENT_RETENTION_CAP);
  });
});
