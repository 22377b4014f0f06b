import { ApiError } from '../client.js';
import { connect, type CommandContext } from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK, usageError } from '../errors.js';
import { objectPath, resolveResource, singular, type SupportedResource } from '../resources.js';
import { parseTargets } from './get.js';

export interface ScaleOptions {
  namespace?: string;
  replicas?: number;
}

const SCALABLE: readonly SupportedResource[] = ['deployments', 'replicasets', 'replicationcontrollers'];

/**
 * `scale deploy|rs|rc NAME... --replicas N` as kubectl does it (kubectl-surface §scale): a JSON
 * merge patch of `spec.replicas` on the `/scale` subresource, then `deployment.apps/web scaled`.
 */
export async function runScale(
  ctx: CommandContext,
  first: string,
  rest: string[],
  opts: ScaleOptions,
): Promise<number> {
  if (opts.replicas === undefined) throw usageError('error: required flag(s) "replicas" not set');
  if (opts.replicas < 0)
    throw new CliError(
      'error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0',
    );
  const { resourceWord, names } = parseTargets(first, rest);
  const resource = resolveResource(resourceWord, SCALABLE);
  if (names.length === 0) throw usageError('error: resource(s) were provided, but no name was specified');
  const client = await connect(ctx);
  const namespace = opts.namespace || 'default';
  let failed = false;
  for (const name of names) {
    try {
      await client.request('PATCH', `${objectPath(resource, namespace, name)}/scale`, {
        body: { spec: { replicas: opts.replicas } },
        contentType: 'application/merge-patch+json',
      });
      ctx.io.stdout.write(`${singular(resource)}/${name} scaled\n`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      ctx.io.stderr.write(`${err.message}\n`);
      failed = true;
    }
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}
