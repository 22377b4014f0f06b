import type { KubeObject } from '../../api/types.js';
import type { TablePrinter } from '../../server/tables/types.js';
import type { TableOptions } from './table.js';

/**
 * `podvisor get` for kinds whose columns the server already defines (services, endpoints,
 * endpointslices, ...): the same TablePrinter the API uses for kubectl's Tables, laid out as
 * kubectl prints a Table — upper-case headers, priority-1 columns only with `-o wide`, NAMESPACE
 * first with `-A`.
 */

function visible(printer: TablePrinter, opts: TableOptions): number[] {
  const idx: number[] = [];
  printer.columns.forEach((c, i) => {
    if (c.priority === 0 || opts.wide) idx.push(i);
  });
  return idx;
}

export function serverTableHeader(printer: TablePrinter, opts: TableOptions): string[] {
  const cols = visible(printer, opts).map((i) => (printer.columns[i]?.name ?? '').toUpperCase());
  return opts.withNamespace ? ['NAMESPACE', ...cols] : cols;
}

export function serverTableRow(
  printer: TablePrinter,
  obj: KubeObject,
  now: number,
  opts: TableOptions,
): string[] {
  const { cells } = printer.row(obj, now);
  const shown = visible(printer, opts).map((i) => String(cells[i] ?? ''));
  return opts.withNamespace ? [obj.metadata.namespace ?? '', ...shown] : shown;
}
