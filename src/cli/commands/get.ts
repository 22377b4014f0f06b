import type { Event, KubeObject, Pod } from '../../api/types.js';
import { ApiError, type ApiClient, type Query } from '../client.js';
import {
  connect,
  namespaceOf,
  withInterrupt,
  type CommandContext,
  type NamespaceOptions,
} from '../context.js';
import { CliError, EXIT_ERROR, EXIT_OK } from '../errors.js';
import { eventTableHeader, eventTableRow, sortEvents } from '../printers/events-table.js';
import { formatObjects, toJson, toName, toYaml, type ObjectFormat } from '../printers/object-output.js';
import { podTableHeader, podTableRow } from '../printers/pods-table.js';
import { serverTableHeader, serverTableRow } from '../printers/server-table.js';
import {
  endpointSliceTablePrinter,
  endpointsTablePrinter,
  serviceTablePrinter,
} from '../../server/tables/services.js';
import type { TablePrinter } from '../../server/tables/types.js';
import {
  deploymentTablePrinter,
  replicaSetTablePrinter,
  replicationControllerTablePrinter,
} from '../../server/tables/workloads.js';
import { nodeTablePrinter } from '../../server/node-table.js';
import { tableLine, type TableOptions } from '../printers/table.js';
import {
  collectionPath,
  objectPath,
  isClusterScoped,
  resolveResource,
  splitTypeName,
  type SupportedResource,
} from '../resources.js';
import { GET_TABWRITER, TabWriter } from '../tabwriter.js';

export const OUTPUT_FORMATS = ['wide', 'json', 'yaml', 'name'] as const;

export interface GetOptions extends NamespaceOptions {
  selector?: string;
  fieldSelector?: string;
  output?: (typeof OUTPUT_FORMATS)[number];
  watch?: boolean;
}

interface ListBody<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
}

const KIND: Record<SupportedResource, string> = {
  pods: 'Pod',
  events: 'Event',
  services: 'Service',
  endpoints: 'Endpoints',
  endpointslices: 'EndpointSlice',
  nodes: 'Node',
  replicasets: 'ReplicaSet',
  deployments: 'Deployment',
  replicationcontrollers: 'ReplicationController',
};

/** Kinds printed with the server's own column definitions (the API's Table printers). */
const SERVER_PRINTED: Partial<Record<SupportedResource, TablePrinter>> = {
  services: serviceTablePrinter,
  endpoints: endpointsTablePrinter,
  endpointslices: endpointSliceTablePrinter,
  nodes: nodeTablePrinter,
  replicasets: replicaSetTablePrinter,
  deployments: deploymentTablePrinter,
  replicationcontrollers: replicationControllerTablePrinter,
};

/** List items come without apiVersion on the wire; endpointslices are not core/v1. */
const API_VERSION: Partial<Record<SupportedResource, string>> = {
  endpointslices: 'discovery.k8s.io/v1',
  replicasets: 'apps/v1',
  deployments: 'apps/v1',
};

/** List items come without kind/apiVersion on the wire; kubectl fills them in. */
function withKind<T extends KubeObject>(obj: T, resource: SupportedResource): T {
  return {
    ...obj,
    apiVersion: obj.apiVersion ?? API_VERSION[resource] ?? 'v1',
    kind: obj.kind ?? KIND[resource],
  };
}

/** Parses `get pods web api` and `get pod/web pod/api` into one resource and its names. */
export function parseTargets(first: string, rest: string[]): { resourceWord: string; names: string[] } {
  const typed = splitTypeName(first);
  if (!typed) return { resourceWord: first, names: rest };
  const names = [typed.name];
  for (const arg of rest) {
    const t = splitTypeName(arg);
    if (!t) {
      throw new CliError(
        `error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podvisor get pod/${typed.name}')`,
      );
    }
    if (t.type !== typed.type)
      throw new CliError(
        `error: podvisor can get one resource type at a time: got "${typed.type}" and "${t.type}"`,
      );
    names.push(t.name);
  }
  return { resourceWord: typed.type, names };
}

class RowPrinter {
  private readonly tw = new TabWriter(GET_TABWRITER);
  private headerDone = false;
  private nameColumn = -1;

  constructor(
    private readonly resource: SupportedResource,
    private readonly table: TableOptions,
    /** `get svc,ep`: names print as `service/web`, as kubectl does with several types. */
    private readonly kindPrefix?: string,
  ) {}

  rows(objects: KubeObject[], now: number): string {
    if (objects.length === 0) return '';
    const server = SERVER_PRINTED[this.resource];
    if (!this.headerDone) {
      const header = server
        ? serverTableHeader(server, this.table)
        : this.resource === 'pods'
          ? podTableHeader(this.table)
          : eventTableHeader(this.table);
      this.nameColumn = header.indexOf('NAME');
      this.tw.write(tableLine(header));
      this.headerDone = true;
    }
    for (const o of objects) {
      const row = server
        ? serverTableRow(server, o, now, this.table)
        : this.resource === 'pods'
          ? podTableRow(o as Pod, now, this.table)
          : eventTableRow(o as Event, now, this.table);
      if (this.kindPrefix && this.nameColumn >= 0)
        row[this.nameColumn] = `${this.kindPrefix}/${row[this.nameColumn]}`;
      this.tw.write(tableLine(row));
    }
    return this.tw.flush();
  }
}

export async function runGet(
  ctx: CommandContext,
  first: string,
  rest: string[],
  opts: GetOptions,
  multi?: { printed: boolean },
): Promise<number> {
  if (!multi && first.includes(',') && !first.includes('/')) return runGetSeveral(ctx, first, rest, opts);
  const { resourceWord, names } = parseTargets(first, rest);
  const resource = resolveResource(resourceWord, [
    'pods',
    'events',
    'services',
    'endpoints',
    'endpointslices',
    'nodes',
    'replicasets',
    'deployments',
    'replicationcontrollers',
  ]);
  if (names.length > 0 && opts.selector) {
    throw new CliError(
      'error: name cannot be provided when a selector is specified: use either NAME or -l SELECTOR',
    );
  }
  if (opts.watch && names.length > 1) {
    throw new CliError(
      'error: watch is only supported on individual resources and resource collections: pass one NAME, or none',
    );
  }
  const clusterScoped = isClusterScoped(resource);
  const namespace = clusterScoped ? undefined : namespaceOf(opts);
  if (names.length > 0 && namespace === undefined && !clusterScoped) {
    throw new CliError(
      'error: a resource cannot be retrieved by name across all namespaces: drop -A, or pass -n NAMESPACE',
    );
  }
  const client = await connect(ctx);
  const { io } = ctx;
  const format: ObjectFormat | 'table' =
    opts.output === 'json' || opts.output === 'yaml' || opts.output === 'name' ? opts.output : 'table';
  const table: TableOptions = {
    wide: opts.output === 'wide',
    withNamespace: namespace === undefined && !clusterScoped,
  };
  const printer = new RowPrinter(resource, table, multi ? kindPrefixOf(resource) : undefined);
  const query: Query = { labelSelector: opts.selector, fieldSelector: opts.fieldSelector };

  let objects: KubeObject[] = [];
  let resourceVersion: string | undefined;
  let failed = false;
  if (names.length > 0) {
    for (const name of names) {
      try {
        objects.push(
          withKind(
            await client.get<KubeObject>(objectPath(resource, namespace ?? 'default', name)),
            resource,
          ),
        );
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        io.stderr.write(`${err.message}\n`);
        failed = true;
      }
    }
  } else {
    const list = await client.get<ListBody<KubeObject>>(collectionPath(resource, namespace), query);
    objects = (list.items ?? []).map((o) => withKind(o, resource));
    resourceVersion = list.metadata?.resourceVersion;
  }
  // A single-object watch starts from the version just printed.
  if (names.length === 1) resourceVersion = objects[0]?.metadata.resourceVersion;
  if (resource === 'events') objects = sortEvents(objects as unknown as Event[]) as unknown as KubeObject[];

  const now = Date.now();
  if (format === 'table') {
    const text = printer.rows(objects, now);
    // kubectl separates the tables of several types with a blank line.
    if (multi && text !== '' && multi.printed) io.stdout.write('\n');
    if (multi && text !== '') multi.printed = true;
    io.stdout.write(text);
    if (objects.length === 0 && names.length === 0 && !opts.watch && !multi) {
      io.stderr.write(
        namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`,
      );
    }
  } else if (objects.length > 0 || names.length === 0) {
    io.stdout.write(formatObjects(objects, format, names.length === 1));
  }

  if (opts.watch && !failed) {
    await watchAndPrint(ctx, client, resource, namespace, names, query, resourceVersion, format, printer);
  }
  return failed ? EXIT_ERROR : EXIT_OK;
}

/** `service`, `endpoints`, `endpointslice.discovery.k8s.io`: how kubectl names a kind in a mixed listing. */
function kindPrefixOf(resource: SupportedResource): string {
  const kind = KIND[resource].toLowerCase();
  const version = API_VERSION[resource];
  const group = version?.includes('/') ? version.slice(0, version.indexOf('/')) : '';
  return group ? `${kind}.${group}` : kind;
}

/** `get svc,endpoints [NAME...]`: each type in turn, one table each. */
async function runGetSeveral(
  ctx: CommandContext,
  words: string,
  rest: string[],
  opts: GetOptions,
): Promise<number> {
  if (opts.watch) throw new CliError('error: you may only specify a single resource type with --watch');
  const multi = { printed: false };
  let code = EXIT_OK;
  for (const word of words.split(',').filter((w) => w !== '')) {
    if ((await runGet(ctx, word, rest, opts, multi)) !== EXIT_OK) code = EXIT_ERROR;
  }
  const namespace = namespaceOf(opts);
  const table = opts.output !== 'json' && opts.output !== 'yaml' && opts.output !== 'name';
  if (table && !multi.printed && rest.length === 0) {
    ctx.io.stderr.write(
      namespace === undefined ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`,
    );
  }
  return code;
}

async function watchAndPrint(
  ctx: CommandContext,
  client: ApiClient,
  resource: SupportedResource,
  namespace: string | undefined,
  names: string[],
  query: Query,
  resourceVersion: string | undefined,
  format: ObjectFormat | 'table',
  printer: RowPrinter,
): Promise<void> {
  const { io } = ctx;
  const watchQuery: Query = { ...query };
  if (names.length === 1) watchQuery.fieldSelector = `metadata.name=${names[0]}`;
  if (resourceVersion) watchQuery.resourceVersion = resourceVersion;
  await withInterrupt((signal) =>
    client.watch<KubeObject>(
      collectionPath(resource, namespace),
      watchQuery,
      (ev) => {
        if (ev.type === 'BOOKMARK') return;
        const obj = withKind(ev.object, resource);
        if (format === 'table') io.stdout.write(printer.rows([obj], Date.now()));
        else if (format === 'name') io.stdout.write(toName(obj));
        else if (format === 'json') io.stdout.write(toJson(obj));
        else io.stdout.write(`---\n${toYaml(obj)}`);
      },
      signal,
    ),
  );
}
