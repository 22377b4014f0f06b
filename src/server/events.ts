import type { FieldError } from '../api/validation.js';
import type { ResourceType } from './resource-types.js';
import { eventTablePrinter } from './tables/events.js';

/**
 * core/v1 events: what `kubectl describe` and `kubectl get events` read, filtered with
 * fieldSelector on involvedObject.* (any order, kubectl-surface §1.6). The kubelet writes them
 * through the store's EventRecorder; POST is there for other clients.
 */
export function eventResource(): ResourceType {
  return {
    group: '',
    version: 'v1',
    resource: 'events',
    kind: 'Event',
    listKind: 'EventList',
    singular: 'event',
    shortNames: ['ev'],
    categories: [],
    namespaced: true,
    verbs: ['create', 'delete', 'get', 'list', 'update', 'watch'],
    admit(obj) {
      const errors: FieldError[] = [];
      const involved = (obj as { involvedObject?: unknown }).involvedObject;
      if (involved === null || typeof involved !== 'object')
        errors.push({ type: 'Required value', field: 'involvedObject', detail: '' });
      return errors.length > 0 ? { errors, warnings: [] } : { object: obj, errors, warnings: [] };
    },
    returnDeletedObject: false,
    subresources: {},
    table: eventTablePrinter,
  };
}
