import { StoreError } from './types.js';

/**
 * Kubernetes' API errors with apimachinery's exact wording (pkg/api/errors/errors.go). Messages
 * name the *qualified resource* (`pods`, `deployments.apps`), as `kubectl` prints them.
 */

/** API groups of the resources podvisor serves outside the core group. */
const RESOURCE_GROUPS: Readonly<Record<string, string>> = {
  deployments: 'apps',
  replicasets: 'apps',
  statefulsets: 'apps',
  daemonsets: 'apps',
  controllerrevisions: 'apps',
  endpointslices: 'discovery.k8s.io',
  jobs: 'batch',
  cronjobs: 'batch',
};

export interface ResourceName {
  /** `pods`, `deployments.apps`: what error messages print. */
  qualified: string;
  resource: string;
  group?: string;
}

export function resourceName(resource: string): ResourceName {
  const group = RESOURCE_GROUPS[resource];
  return group ? { qualified: `${resource}.${group}`, resource, group } : { qualified: resource, resource };
}

function details(resource: string, name: string): { name: string; kind: string; group?: string } {
  const r = resourceName(resource);
  return r.group ? { name, group: r.group, kind: resource } : { name, kind: resource };
}

export function notFound(resource: string, name: string): StoreError {
  return new StoreError(
    404,
    'NotFound',
    `${resourceName(resource).qualified} "${name}" not found`,
    details(resource, name),
  );
}

export function alreadyExists(resource: string, name: string): StoreError {
  return new StoreError(
    409,
    'AlreadyExists',
    `${resourceName(resource).qualified} "${name}" already exists`,
    details(resource, name),
  );
}

/** The optimistic-concurrency failure (errors.NewConflict with registry.OptimisticLockErrorMsg). */
export function conflict(
  resource: string,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): StoreError {
  return new StoreError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resourceName(resource).qualified} "${name}": ${why}`,
    details(resource, name),
  );
}

export function badRequest(message: string): StoreError {
  return new StoreError(400, 'BadRequest', message);
}

export function expired(message: string): StoreError {
  return new StoreError(410, 'Expired', message);
}
