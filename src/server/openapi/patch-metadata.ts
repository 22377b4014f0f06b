/**
 * Strategic-merge-patch and list-type metadata of upstream fields, which kubernetes-types' .d.ts
 * files do not carry. Source: the struct tags and `+listType`/`+listMapKey` markers in
 * k8s.io/api core/v1 and apps/v1 types.go and k8s.io/apimachinery meta/v1 types.go, as published
 * in the `x-kubernetes-patch-*` / `x-kubernetes-list-*` extensions of
 * kubernetes/kubernetes api/openapi-spec/v3/api__v1_openapi.json and apis__apps__v1_openapi.json.
 *
 * Data only, read by scripts/gen-openapi.ts; it is kept to the fields podvisor's kinds use. The
 * generator fails if an entry names a field the types do not have.
 */

export interface FieldPatchMetadata {
  /** x-kubernetes-patch-strategy, e.g. "merge" or "merge,retainKeys". */
  strategy?: string;
  /** x-kubernetes-patch-merge-key. */
  mergeKey?: string;
  /** x-kubernetes-list-type. */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys (listType "map"). */
  listMapKeys?: readonly string[];
}

const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const byName: FieldPatchMetadata = { strategy: 'merge', mergeKey: 'name' };
const conditionsByType: FieldPatchMetadata = { strategy: 'merge', mergeKey: 'type' };

/** Keyed by `<schema name>.<field>`. */
export const PATCH_METADATA: Readonly<Record<string, FieldPatchMetadata>> = {
  [`${META}.ObjectMeta.finalizers`]: { strategy: 'merge', listType: 'set' },
  [`${META}.ObjectMeta.ownerReferences`]: {
    strategy: 'merge',
    mergeKey: 'uid',
    listType: 'map',
    listMapKeys: ['uid'],
  },

  [`${CORE}.PodSpec.containers`]: byName,
  [`${CORE}.PodSpec.initContainers`]: byName,
  [`${CORE}.PodSpec.ephemeralContainers`]: byName,
  [`${CORE}.PodSpec.imagePullSecrets`]: byName,
  [`${CORE}.PodSpec.volumes`]: { strategy: 'merge,retainKeys', mergeKey: 'name' },
  [`${CORE}.PodSpec.hostAliases`]: { strategy: 'merge', mergeKey: 'ip' },
  [`${CORE}.PodSpec.topologySpreadConstraints`]: {
    strategy: 'merge',
    mergeKey: 'topologyKey',
    listType: 'map',
    listMapKeys: ['topologyKey', 'whenUnsatisfiable'],
  },
  [`${CORE}.PodSpec.resourceClaims`]: {
    strategy: 'merge,retainKeys',
    mergeKey: 'name',
    listType: 'map',
    listMapKeys: ['name'],
  },
  [`${CORE}.PodSpec.schedulingGates`]: {
    strategy: 'merge',
    mergeKey: 'name',
    listType: 'map',
    listMapKeys: ['name'],
  },

  [`${CORE}.Container.ports`]: {
    strategy: 'merge',
    mergeKey: 'containerPort',
    listType: 'map',
    listMapKeys: ['containerPort', 'protocol'],
  },
  [`${CORE}.Container.env`]: byName,
  [`${CORE}.Container.volumeMounts`]: { strategy: 'merge', mergeKey: 'mountPath' },
  [`${CORE}.Container.volumeDevices`]: { strategy: 'merge', mergeKey: 'devicePath' },
  [`${CORE}.EphemeralContainer.env`]: byName,
  [`${CORE}.EphemeralContainer.volumeMounts`]: { strategy: 'merge', mergeKey: 'mountPath' },
  [`${CORE}.EphemeralContainer.volumeDevices`]: { strategy: 'merge', mergeKey: 'devicePath' },

  [`${CORE}.PodStatus.conditions`]: conditionsByType,
  [`${CORE}.PodStatus.podIPs`]: { strategy: 'merge', mergeKey: 'ip' },
  [`${CORE}.PodStatus.resourceClaimStatuses`]: {
    strategy: 'merge,retainKeys',
    mergeKey: 'name',
    listType: 'map',
    listMapKeys: ['name'],
  },

  [`${CORE}.ServiceSpec.ports`]: {
    strategy: 'merge',
    mergeKey: 'port',
    listType: 'map',
    listMapKeys: ['port', 'protocol'],
  },
  [`${CORE}.ServiceStatus.conditions`]: {
    strategy: 'merge',
    mergeKey: 'type',
    listType: 'map',
    listMapKeys: ['type'],
  },
  [`${CORE}.NodeStatus.conditions`]: conditionsByType,
  [`${CORE}.NodeStatus.addresses`]: conditionsByType,
  [`${CORE}.NamespaceStatus.conditions`]: conditionsByType,

  [`${APPS}.DeploymentSpec.strategy`]: { strategy: 'retainKeys' },
  [`${APPS}.DeploymentStatus.conditions`]: conditionsByType,
  [`${APPS}.ReplicaSetStatus.conditions`]: conditionsByType,
  [`${APPS}.StatefulSetStatus.conditions`]: conditionsByType,
  [`${APPS}.DaemonSetStatus.conditions`]: conditionsByType,
};
