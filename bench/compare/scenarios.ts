import type { ScenarioReport } from './types.js';

/**
 * Issue 6 scenarios by name (`npm run bench -- s1 s3`, or `compare` for all): each is loaded only
 * when asked for, runs podvisor and every peer, and returns its reports.
 */
export const SCENARIOS: Readonly<Record<string, () => Promise<ScenarioReport[]>>> = {
  s1: async () => (await import('./s1-crash.js')).runS1(),
  s2: async () => (await import('./s2-hang.js')).runS2(),
  s3: async () => (await import('./s3-footprint.js')).runS3(),
  s4: async () => (await import('./s4-capacity.js')).runS4(),
  s5: async () => (await import('./s5-api.js')).runS5(),
};
