import type { KubeObject } from '../../api/types.js';
import type { Admission, ResourceType } from '../resource-types.js';
import { conflict } from '../../store/errors.js';

/**
 * The optimistic-concurrency precondition of an update (registry Store.Update): a
 * resourceVersion in the new object that is not the stored one is a 409 Conflict, and it is
 * checked before the update is validated, as the apiserver does.
 */
export function checkResourceVersion(resource: string, next: KubeObject, existing: KubeObject): void {
  const rv = next.metadata.resourceVersion;
  if (rv && rv !== existing.metadata.resourceVersion) throw conflict(resource, existing.metadata.name ?? '');
}

/**
 * The warnings an update answers with. Kinds whose strategy gives none on update (pods:
 * podStrategy.WarningsOnUpdate returns nil) still pass on the unknown-field warnings of
 * `fieldValidation=Warn`, which come from decoding, not from the strategy.
 */
export function updateWarnings(type: ResourceType, adm: Admission): string[] {
  if (type.warnOnUpdate !== false) return adm.warnings;
  const unknown = new Set((adm.unknownFields ?? []).map((f) => `unknown field "${f}"`));
  return adm.warnings.filter((w) => unknown.has(w));
}
