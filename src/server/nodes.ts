import type { Node } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/types.js';
import type { FieldError } from '../api/validation.js';
import { patchStatus } from './patch/handler.js';
import { SERVED_VERBS, type ResourceType } from './resource-types.js';
import { getStatus, updateStatus } from './rest.js';
import { nodeTablePrinter } from './node-table.js';

type StoredNode = Node & KubeObject;

/**
 * core/v1 nodes (cluster-scoped). podvisor's virtual kubelets register and heartbeat their Node
 * through the store; the API serves them to `kubectl get nodes` / `describe node` and takes the
 * `podvisor.dev/stopped` annotation that `podvisor node stop|start` sets (src/cli/virtual-nodes.ts).
 */
export function nodeResource(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'nodes',
    kind: 'Node',
    listKind: 'NodeList',
    singular: 'node',
    shortNames: ['no'],
    categories: [],
    namespaced: false,
    verbs: SERVED_VERBS,
    admit(obj) {
      const errors: FieldError[] = [];
      if (!obj.metadata?.name && !obj.metadata?.generateName) {
        errors.push({
          type: 'Required value',
          field: 'metadata.name',
          detail: 'name or generateName is required',
        });
      }
      return errors.length > 0 ? { errors, warnings: [] } : { object: obj, errors, warnings: [] };
    },
    // The node strategy's PrepareForUpdate: a PUT of the node keeps its status.
    prepareUpdate(next, existing) {
      const { status: _ignored, ...kept } = next as StoredNode;
      const status = (existing as StoredNode).status;
      return status === undefined ? kept : { ...kept, status };
    },
    returnDeletedObject: false,
    table: nodeTablePrinter,
    subresources: {
      status: { GET: getStatus, PUT: updateStatus, PATCH: patchStatus },
    },
  };
}
