import type { KubeObject } from '../../api/types.js';
import type { WatchEvent } from '../../store/types.js';
import type { RequestContext } from '../resource-types.js';
import { sendTable, tableWatchEncoder, toTable } from './convert.js';
import { defaultTablePrinter } from './default.js';
import { tableRequest } from './negotiate.js';
import type { TablePrinter } from './types.js';

/**
 * Server-side printing for the generic REST handlers (issue 3 item 2): when the client accepts a
 * meta.k8s.io Table, lists, gets and watches answer Tables printed by the resource type's
 * `table` printer, or by the apiserver's NAME / CREATED AT default for kinds without one.
 */

export { eventTablePrinter } from './events.js';
export { podTablePrinter } from './pods.js';
export { defaultTablePrinter } from './default.js';
export { tableRequest, type TableRequest, type IncludeObject } from './negotiate.js';
export { toTable, tableWatchEncoder } from './convert.js';
export type { Table, TableColumnDefinition, TablePrinter, TableRow } from './types.js';

function printerFor(ctx: RequestContext): TablePrinter {
  return ctx.type.table ?? defaultTablePrinter;
}

function acceptOf(ctx: RequestContext): string | undefined {
  const accept = ctx.req.headers.accept;
  return Array.isArray(accept) ? accept.join(',') : accept;
}

/**
 * Answers a list or a single get as a Table when one was asked for; false (nothing sent) when
 * the client wants the plain object. A single object is a Table of one row.
 */
export function respondWithTable(
  ctx: RequestContext,
  objects: readonly KubeObject[],
  resourceVersion: string | undefined,
): boolean {
  const req = tableRequest(acceptOf(ctx), ctx.query);
  if (!req) return false;
  sendTable(ctx.res, req, toTable(objects, printerFor(ctx), req, ctx.clock.now(), resourceVersion));
  return true;
}

/** The per-event transform for a watch whose client asked for Tables; undefined for plain JSON. */
export function tableWatchEncoding(
  ctx: RequestContext,
): ((ev: WatchEvent) => { type: string; object: unknown }) | undefined {
  const req = tableRequest(acceptOf(ctx), ctx.query);
  if (!req) return undefined;
  return tableWatchEncoder(printerFor(ctx), req, () => ctx.clock.now());
}
