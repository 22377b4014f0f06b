import { GET_TABWRITER, TabWriter } from '../tabwriter.js';

export interface TableOptions {
  /** `-o wide`: adds the priority-1 columns. */
  wide?: boolean;
  /** `-A`: NAMESPACE comes first. */
  withNamespace?: boolean;
}

/** One line of kubectl's human-readable printer: cells joined by tabs, the last not terminated. */
export function tableLine(cells: string[]): string {
  return `${cells.join('\t')}\n`;
}

/** Header plus rows laid out as `kubectl get` does (spec §6.3; cli-runtime tabwriter). */
export function renderTable(header: string[], rows: string[][]): string {
  const w = new TabWriter(GET_TABWRITER);
  w.write(tableLine(header));
  for (const row of rows) w.write(tableLine(row));
  return w.flush();
}
