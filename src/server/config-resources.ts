import {
  admitConfigMap,
  admitSecret,
  validateConfigMapUpdate,
  validateSecretUpdate,
  type StoredConfigMap,
  type StoredSecret,
} from '../api/configmap.js';
import { since } from '../api/kube-time.js';
import { admitPodPreset } from '../api/podpreset.js';
import { SERVED_VERBS, type ResourceType } from './resource-types.js';
import * as d from './tables/descriptions.js';
import { column, type TablePrinter } from './tables/types.js';

/**
 * core/v1 ConfigMaps and Secrets (env sources for the kubelet) and settings.k8s.io/v1alpha1
 * PodPresets (read by the PodPreset admission at pod creation).
 */

const CONFIGMAP_DATA =
  "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.";
const SECRET_DATA =
  "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";
const SECRET_TYPE =
  'Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types';

/** printers.go configMapColumnDefinitions: NAME DATA AGE (DATA counts data and binaryData). */
export const configMapTablePrinter: TablePrinter = {
  columns: [
    column('Name', d.OBJECT_META_NAME, { format: 'name' }),
    column('Data', CONFIGMAP_DATA),
    column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  ],
  row(obj, now) {
    const cm = obj as StoredConfigMap;
    const count = Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length;
    return { cells: [cm.metadata.name, count, since(cm.metadata.creationTimestamp, now)] };
  },
};

/** printers.go secretColumnDefinitions: NAME TYPE DATA AGE. */
export const secretTablePrinter: TablePrinter = {
  columns: [
    column('Name', d.OBJECT_META_NAME, { format: 'name' }),
    column('Type', SECRET_TYPE),
    column('Data', SECRET_DATA),
    column('Age', d.OBJECT_META_CREATION_TIMESTAMP),
  ],
  row(obj, now) {
    const s = obj as StoredSecret;
    return {
      cells: [
        s.metadata.name,
        s.type ?? '',
        Object.keys(s.data ?? {}).length,
        since(s.metadata.creationTimestamp, now),
      ],
    };
  },
};

export function configMapResource(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    listKind: 'ConfigMapList',
    singular: 'configmap',
    shortNames: ['cm'],
    categories: [],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit: admitConfigMap,
    validateUpdate: (next, existing) =>
      validateConfigMapUpdate(next as StoredConfigMap, existing as StoredConfigMap),
    returnDeletedObject: false,
    subresources: {},
    table: configMapTablePrinter,
  };
}

export function secretResource(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'secrets',
    kind: 'Secret',
    listKind: 'SecretList',
    singular: 'secret',
    shortNames: [],
    categories: [],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit: admitSecret,
    validateUpdate: (next, existing) => validateSecretUpdate(next as StoredSecret, existing as StoredSecret),
    returnDeletedObject: false,
    subresources: {},
    table: secretTablePrinter,
  };
}

/** Upstream printed PodPresets with the default NAME / CREATED AT table (no printer registered). */
export function podPresetResource(): ResourceType {
  return {
    group: 'settings.k8s.io',
    version: 'v1alpha1',
    resource: 'podpresets',
    kind: 'PodPreset',
    listKind: 'PodPresetList',
    singular: 'podpreset',
    shortNames: [],
    categories: [],
    namespaced: true,
    verbs: SERVED_VERBS,
    admit: admitPodPreset,
    returnDeletedObject: false,
    subresources: {},
  };
}

/** The registry entries this module serves, for ApiServerOptions.resources. */
export function configResources(): ResourceType[] {
  return [configMapResource(), secretResource(), podPresetResource()];
}
