import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import type { WatchEvent } from '../../store/types.js';
import type { TableRequest } from './negotiate.js';
import type { Table, TablePrinter, TableRow } from './types.js';

/**
 * Objects to meta.k8s.io Tables, as the apiserver's handlers do it (endpoints/handlers
 * response.go asTable + printers/tablegenerator.go): printed wide, each row's object replaced
 * per `includeObject`, the list's (or the object's) resourceVersion in the Table's metadata.
 */

function rowObject(obj: KubeObject, req: TableRequest): TableRow['object'] {
  switch (req.includeObject) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: req.apiVersion, metadata: obj.metadata };
  }
}

export function toTable(
  objects: readonly KubeObject[],
  printer: TablePrinter,
  req: TableRequest,
  now: number,
  resourceVersion: string | undefined,
  withHeaders = true,
): Table {
  const rows = objects.map((obj): TableRow => {
    const printed = printer.row(obj, now);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    const object = rowObject(obj, req);
    if (object) row.object = object;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: req.apiVersion,
    metadata: resourceVersion ? { resourceVersion } : {},
    columnDefinitions: withHeaders ? [...printer.columns] : null,
    rows,
  };
}

export function sendTable(res: ServerResponse, req: TableRequest, table: Table): void {
  const text = JSON.stringify(table);
  res.writeHead(200, {
    'Cache-Control': 'no-cache, private',
    'Content-Type': req.contentType,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The per-event transform of a Table watch: every object becomes a one-row Table; only the first
 * carries columnDefinitions (upstream switches NoHeaders on after it). ERROR Status objects pass
 * through untouched; a BOOKMARK becomes an empty Table carrying its resourceVersion.
 */
export function tableWatchEncoder(
  printer: TablePrinter,
  req: TableRequest,
  now: () => number,
): (ev: WatchEvent) => { type: string; object: unknown } {
  let headersSent = false;
  return (ev) => {
    const obj = ev.object;
    if ((obj as { kind?: string }).kind === 'Status') return ev;
    const rv = obj.metadata?.resourceVersion;
    const objects = ev.type === 'BOOKMARK' ? [] : [obj];
    const table = toTable(objects, printer, req, now(), rv, !headersSent);
    headersSent = true;
    return { type: ev.type, object: table };
  };
}
