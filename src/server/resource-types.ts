import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../api/types.js';
import type { FieldError } from '../api/validation.js';
import type { ObjectStore } from '../store/types.js';
import type { Clock } from '../util/clock.js';
import type { TablePrinter } from './tables/types.js';

/**
 * What the REST layer knows about a resource. Serving another kind (deployments, services) is one
 * more entry in the registry: the generic handlers in rest.ts do list/watch/get/create/update/
 * delete from this description, and discovery can be generated from the same table.
 */

export type Verb = 'create' | 'delete' | 'get' | 'list' | 'update' | 'watch' | 'patch' | 'deletecollection';

/**
 * The verbs the router serves for a resource with every operation (router.ts). Discovery and
 * OpenAPI advertise a resource's `verbs`, so `deletecollection` is left out until it is served.
 */
export const SERVED_VERBS: readonly Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** The result of admitting an untrusted object: defaulted object, field errors, warnings. */
export interface Admission {
  object?: KubeObject;
  errors: FieldError[];
  warnings: string[];
  /** Paths of fields the kind does not have; `fieldValidation` decides what they cost. */
  unknownFields?: string[];
}

/** DeleteOptions as far as podvisor honours them (body and query merged; the body wins). */
export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
  /** Cascade deletion (garbage collector): Orphan, Background (the default) or Foreground. */
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  store: ObjectStore;
  clock: Clock;
  type: ResourceType;
  /** From the path; undefined for cluster-scoped resources and all-namespace lists. */
  namespace?: string;
  name?: string;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export type SubresourceMethods = Partial<Record<'GET' | 'PUT' | 'POST' | 'PATCH', Handler>>;

export interface ResourceType {
  group: string;
  version: string;
  /** REST plural, also the store's resource name. */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  shortNames: readonly string[];
  categories: readonly string[];
  namespaced: boolean;
  verbs: readonly Verb[];
  /** Defaults, validates and warns (create and update). */
  admit(obj: KubeObject): Admission;
  /** On create, after admission: server-side allocation (a Service's clusterIP and nodePorts). */
  prepareCreate?(obj: KubeObject, ctx: RequestContext): KubeObject;
  /** For PUT on the main resource: what is carried over from the stored object (pods keep status). */
  prepareUpdate?(next: KubeObject, existing: KubeObject): KubeObject;
  /** Update rules beyond create validation (PUT and PATCH), e.g. the pod spec's immutability. */
  validateUpdate?(next: KubeObject, existing: KubeObject): FieldError[];
  /** `false` when the kind's strategy gives no warnings on update (pods); unknown-field warnings still go out. */
  warnOnUpdate?: boolean;
  /**
   * Graceful deletion (rest.BeforeDelete): `'now'` to remove the object at once, or the object as
   * it should be stored while it terminates (deletionTimestamp set). Absent: always at once.
   */
  beginDelete?(existing: KubeObject, opts: DeleteOptions, ctx: RequestContext): 'now' | KubeObject;
  /** Pods answer DELETE with the object; most resources with a Success Status. */
  returnDeletedObject: boolean;
  subresources: Readonly<Record<string, SubresourceMethods>>;
  /** Server-side printing (`kubectl get`): columns and cells; absent → NAME / CREATED AT. */
  table?: TablePrinter;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Admission for kinds podvisor stores as given (events): only the identity is checked. */
export function admitAsIs(obj: KubeObject): Admission {
  return { object: obj, errors: [], warnings: [] };
}
