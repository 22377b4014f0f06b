/**
 * Strategic-merge-patch metadata: which lists merge by a key instead of being replaced. This is
 * the `patchStrategy`/`patchMergeKey` struct tags of k8s.io/api as a table, keyed by kind and by
 * the object path with list indices left out (`spec.containers.env`).
 */

export interface ListMeta {
  /** Items are objects matched by this field; absent for a merged list of scalars. */
  mergeKey?: string;
}

type Table = ReadonlyMap<string, ListMeta>;

const byName: ListMeta = { mergeKey: 'name' };
const mergedScalars: ListMeta = {};

const CONTAINER_LISTS: Readonly<Record<string, ListMeta>> = {
  env: byName,
  ports: { mergeKey: 'containerPort' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};

const POD_SPEC_LISTS: Readonly<Record<string, ListMeta>> = {
  volumes: byName,
  imagePullSecrets: byName,
  hostAliases: { mergeKey: 'ip' },
  topologySpreadConstraints: { mergeKey: 'topologyKey' },
  resourceClaims: byName,
  schedulingGates: byName,
};

const POD_STATUS_LISTS: Readonly<Record<string, ListMeta>> = {
  conditions: { mergeKey: 'type' },
  podIPs: { mergeKey: 'ip' },
  hostIPs: { mergeKey: 'ip' },
};

const OBJECT_META_LISTS: Readonly<Record<string, ListMeta>> = {
  ownerReferences: { mergeKey: 'uid' },
  finalizers: mergedScalars,
};

function add(table: Map<string, ListMeta>, prefix: string, lists: Readonly<Record<string, ListMeta>>): void {
  for (const [field, meta] of Object.entries(lists)) table.set(`${prefix}${field}`, meta);
}

function podSpecEntries(table: Map<string, ListMeta>, prefix: string): void {
  add(table, prefix, POD_SPEC_LISTS);
  for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
    table.set(`${prefix}${list}`, byName);
    add(table, `${prefix}${list}.`, CONTAINER_LISTS);
  }
}

function baseTable(): Map<string, ListMeta> {
  const table = new Map<string, ListMeta>();
  add(table, 'metadata.', OBJECT_META_LISTS);
  return table;
}

function podTable(): Table {
  const table = baseTable();
  podSpecEntries(table, 'spec.');
  add(table, 'status.', POD_STATUS_LISTS);
  return table;
}

function workloadTable(): Table {
  const table = baseTable();
  add(table, 'spec.template.metadata.', OBJECT_META_LISTS);
  podSpecEntries(table, 'spec.template.spec.');
  table.set('status.conditions', { mergeKey: 'type' });
  return table;
}

function serviceTable(): Table {
  const table = baseTable();
  table.set('spec.ports', { mergeKey: 'port' });
  table.set('status.conditions', { mergeKey: 'type' });
  return table;
}

const TABLES: ReadonlyMap<string, Table> = new Map([
  ['Pod', podTable()],
  ['Deployment', workloadTable()],
  ['ReplicaSet', workloadTable()],
  ['Service', serviceTable()],
]);

const GENERIC = baseTable();

/** Patch metadata for a kind: a lookup from path to list strategy (undefined: replace the list). */
export type PatchMeta = (path: string) => ListMeta | undefined;

export function patchMetaFor(kind: string): PatchMeta {
  const table = TABLES.get(kind) ?? GENERIC;
  return (path) => table.get(path);
}
