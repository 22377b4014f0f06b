import { subresourcesOf } from '../discovery.js';
import type { ResourceType } from '../resource-types.js';

/**
 * OpenAPI v3 path items for the registry's resources, in the apiserver's shape (operationIds
 * like `patchCoreV1NamespacedPod`, `x-kubernetes-action`, `x-kubernetes-group-version-kind`).
 * kubectl reads them for two things (kubectl-surface §2.6): a PATCH operation with the object's
 * GVK and a `fieldValidation` query parameter tells it the server validates fields itself (so
 * `create`/`apply` send fieldValidation=Strict instead of validating client-side), and a PATCH
 * requestBody accepting strategic-merge-patch+json lets `apply` compute its patch from the schema.
 */

export type Schema = Record<string, unknown>;
type Operation = Record<string, unknown>;

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

export function schemaRef(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

function query(name: string, type: 'string' | 'boolean' | 'integer'): Schema {
  return { name, in: 'query', schema: { type, uniqueItems: true } };
}

function pathParam(name: string): Schema {
  return { name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } };
}

const PRETTY = query('pretty', 'string');
const WRITE_PARAMS = [
  query('dryRun', 'string'),
  query('fieldManager', 'string'),
  query('fieldValidation', 'string'),
];
const PATCH_PARAMS = [...WRITE_PARAMS, query('force', 'boolean')];
const LIST_PARAMS = [
  query('allowWatchBookmarks', 'boolean'),
  query('continue', 'string'),
  query('fieldSelector', 'string'),
  query('labelSelector', 'string'),
  query('limit', 'integer'),
  query('resourceVersion', 'string'),
  query('resourceVersionMatch', 'string'),
  query('sendInitialEvents', 'boolean'),
  query('timeoutSeconds', 'integer'),
  query('watch', 'boolean'),
];
const DELETE_PARAMS = [
  query('dryRun', 'string'),
  query('gracePeriodSeconds', 'integer'),
  query('ignoreStoreReadErrorWithClusterBreakingPotential', 'boolean'),
  query('orphanDependents', 'boolean'),
  query('propagationPolicy', 'string'),
];

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

function content(types: readonly string[], schema: Schema): Schema {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function responses(codes: readonly string[], schema: Schema | undefined): Schema {
  const body = schema ? { content: content(JSON_TYPES, schema) } : {};
  return Object.fromEntries([
    ...codes.map((c) => [
      c,
      { description: c === '201' ? 'Created' : c === '202' ? 'Accepted' : 'OK', ...body },
    ]),
    ['401', { description: 'Unauthorized' }],
  ]);
}

/** Subresource verbs → the operation upstream publishes for them. */
const SUBRESOURCE_OPS: Readonly<Record<string, { method: string; opName: string; action: string }>> = {
  get: { method: 'get', opName: 'read', action: 'get' },
  update: { method: 'put', opName: 'replace', action: 'put' },
  patch: { method: 'patch', opName: 'patch', action: 'patch' },
  create: { method: 'post', opName: 'create', action: 'post' },
};

/** Upper camel case of a group-version as in upstream operationIds: "" v1 → CoreV1, apps v1 → AppsV1. */
function gvName(t: ResourceType): string {
  const group = (t.group || 'core')
    .split('.')
    .map((p, i) => (i === 0 ? p[0]?.toUpperCase() + p.slice(1) : ''))
    .join('');
  return group + t.version[0]?.toUpperCase() + t.version.slice(1);
}

/**
 * Path items of one resource. `schemaOf(kind)` names the component schema of a kind of this
 * group-version, if there is one.
 */
export function resourcePaths(
  t: ResourceType,
  schemaOf: (group: string, version: string, kind: string) => string | undefined,
): Record<string, Record<string, unknown>> {
  const base = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  const scope = t.namespaced ? 'Namespaced' : '';
  const collection = `${base}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
  const item = `${collection}/{name}`;
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const kindSchema = schemaOf(t.group, t.version, t.kind);
  const listSchema = schemaOf(t.group, t.version, t.listKind);
  const ref = (name: string | undefined): Schema | undefined => (name ? schemaRef(name) : undefined);
  const op = (verb: string, action: string, extra: Operation, suffix = ''): Operation => ({
    operationId: `${verb}${gvName(t)}${scope}${t.kind}${suffix}`,
    ...extra,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  });
  const can = (v: string): boolean => (t.verbs as readonly string[]).includes(v);
  const nsParams = t.namespaced ? [pathParam('namespace')] : [];
  const status = schemaRef(`${META}.Status`);

  const collectionItem: Record<string, unknown> = { parameters: [...nsParams, PRETTY] };
  if (can('list'))
    collectionItem.get = op('list', 'list', {
      parameters: LIST_PARAMS,
      responses: responses(['200'], ref(listSchema)),
    });
  if (can('create'))
    collectionItem.post = op('create', 'post', {
      parameters: WRITE_PARAMS,
      requestBody: { content: content(['*/*'], kindSchema ? schemaRef(kindSchema) : {}), required: true },
      responses: responses(['200', '201', '202'], ref(kindSchema)),
    });
  if (can('deletecollection'))
    collectionItem.delete = op('deleteCollection', 'deletecollection', {
      parameters: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== 'watch')],
      responses: responses(['200'], status),
    });

  const itemOps: Record<string, unknown> = { parameters: [pathParam('name'), ...nsParams, PRETTY] };
  if (can('get')) itemOps.get = op('read', 'get', { responses: responses(['200'], ref(kindSchema)) });
  if (can('update'))
    itemOps.put = op('replace', 'put', {
      parameters: WRITE_PARAMS,
      requestBody: { content: content(['*/*'], kindSchema ? schemaRef(kindSchema) : {}), required: true },
      responses: responses(['200', '201'], ref(kindSchema)),
    });
  // Every podvisor write validates fields (fieldValidation), which is what kubectl asks PATCH about.
  if (can('patch') || can('update'))
    itemOps.patch = op('patch', 'patch', {
      parameters: PATCH_PARAMS,
      requestBody: { content: content(PATCH_TYPES, schemaRef(`${META}.Patch`)), required: true },
      responses: responses(['200', '201'], ref(kindSchema)),
    });
  if (can('delete'))
    itemOps.delete = op('delete', 'delete', {
      parameters: DELETE_PARAMS,
      requestBody: { content: content(['*/*'], schemaRef(`${META}.DeleteOptions`)) },
      responses: responses(['200', '202'], t.returnDeletedObject ? ref(kindSchema) : status),
    });

  const paths: Record<string, Record<string, unknown>> = { [collection]: collectionItem, [item]: itemOps };
  if (t.namespaced && can('list'))
    paths[`${base}/${t.resource}`] = {
      parameters: [PRETTY],
      get: op(
        'list',
        'list',
        { parameters: LIST_PARAMS, responses: responses(['200'], ref(listSchema)) },
        'ForAllNamespaces',
      ),
    };
  for (const sub of subresourcesOf(t)) {
    const suffix = sub.name[0]?.toUpperCase() + sub.name.slice(1);
    const subSchema = ref(schemaOf(sub.kind.group, sub.kind.version, sub.kind.kind));
    const subItem: Record<string, unknown> = { parameters: [pathParam('name'), ...nsParams] };
    for (const verb of sub.verbs) {
      const { method, opName, action } = SUBRESOURCE_OPS[verb] ?? {
        method: 'post',
        opName: 'create',
        action: 'post',
      };
      // Streaming subresources (portforward, exec, …) are "connect" operations upstream.
      const connect = sub.kind.kind.endsWith('Options');
      const extra: Operation = {
        responses: responses(['200'], connect || sub.name === 'log' ? undefined : subSchema),
      };
      if (method === 'patch') {
        extra.parameters = PATCH_PARAMS;
        extra.requestBody = { content: content(PATCH_TYPES, schemaRef(`${META}.Patch`)), required: true };
      } else if (method === 'put' && !connect) {
        extra.parameters = WRITE_PARAMS;
        extra.requestBody = { content: content(['*/*'], subSchema ?? {}), required: true };
      }
      const connectName = `connect${method[0]?.toUpperCase()}${method.slice(1)}`;
      subItem[method] = {
        ...op(connect ? connectName : opName, connect ? 'connect' : action, extra, suffix),
        'x-kubernetes-group-version-kind': sub.kind,
      };
    }
    paths[`${item}/${sub.name}`] = subItem;
  }
  return paths;
}
