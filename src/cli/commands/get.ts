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
import { tableLine, type TableOptions } from '../printers/table.js';
import {
  collectionPath,
  objectPath,
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

const KIND: Record<SupportedResource, string> = { pods: 'Pod', events: 'Event' };

/** List items come without kind/apiVersion on the wire; kubectl fills them in. */
function withKind<T extends KubeObject>(obj: T, resource: SupportedResource): T {
  return { ...obj, apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind ?? KIND[resource] };
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

  constructor(
    private readonly resource: SupportedResource,
    private readonly table: TableOptions,
  ) {}

  rows(objects: KubeObject[], now: number): string {
    if (objects.length === 0) return '';
    if (!this.headerDone) {
      const header = this.resource === 'pods' ? podTableHeader(this.table) : eventTableHeader(this.table);
      this.tw.write(tableLine(header));
      this.headerDone = true;
    }
    for (const o of objects) {
      const row =
        this.resource === 'pods'
          ? podTableRow(o as Pod, now, this.table)
          : eventTableRow(o as Event, now, this.table);
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
): Promise<number> {
  const { resourceWord, names } = parseTargets(first, rest);
  const resource = resolveResource(resourceWord, ['pods', 'events']);
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
  const namespace = namespaceOf(opts);
  if (names.length > 0 && namespace === undefined) {
    throw new CliError(
      'error: a resource cannot be retrieved by name across all namespaces: drop -A, or pass -n NAMESPACE',
    );
  }
  const client = await connect(ctx);
  const { io } = ctx;
  const format: ObjectFormat | 'table' =
    opts.output === 'json' || opts.output === 'yaml' || opts.output === 'name' ? opts.output : 'table';
  const table: TableOptions = { wide: opts.output === 'wide', withNamespace: namespace === undefined };
  const printer = new RowPrinter(resource, table);
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
    io.stdout.write(printer.rows(objects, now));
    if (objects.length === 0 && names.length === 0 && !opts.watch) {
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
