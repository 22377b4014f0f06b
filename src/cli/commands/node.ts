import type { CommandContext } from '../context.js';
import { connect } from '../context.js';
import { EXIT_OK, usageError } from '../errors.js';

/** Must match NODE_STOPPED_ANNOTATION in src/cli/virtual-nodes.ts (not imported: that module loads the kubelet). */
const STOPPED_ANNOTATION = 'podvisor.dev/stopped';

/**
 * `podvisor node stop|start NAME`: a merge PATCH of the Node's `podvisor.dev/stopped` annotation
 * through the API. The node's own agent sees it and dies (stop: containers SIGKILLed, no more
 * status or heartbeats) or comes back (start: a fresh kubelet restarts the pods still bound to it).
 */
export async function runNode(ctx: CommandContext, action: string, name: string): Promise<number> {
  if (action !== 'stop' && action !== 'start') {
    throw usageError(`error: unknown action "${action}" for "podvisor node": want stop or start`);
  }
  const client = await connect(ctx);
  const value = action === 'stop' ? 'true' : null;
  await client.request('PATCH', `/api/v1/nodes/${encodeURIComponent(name)}`, {
    body: { metadata: { annotations: { [STOPPED_ANNOTATION]: value } } },
    contentType: 'application/merge-patch+json',
  });
  ctx.io.stdout.write(`node/${name} ${action === 'stop' ? 'stopped' : 'started'}\n`);
  return EXIT_OK;
}
