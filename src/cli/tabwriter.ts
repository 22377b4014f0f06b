/**
 * A small port of the layout rules of Go's text/tabwriter, which kubectl uses for every table and
 * for `describe`. kubectl's output is only reproduced byte for byte if the same rules are used:
 *
 * - Text is cut into cells at tabs; a cell is *tab-terminated*. The text after a line's last tab
 *   belongs to no column and is printed as is.
 * - A column is a block of *consecutive* lines that all have a tab-terminated cell at that index;
 *   a line with fewer cells ends the block. Each block gets its own width: the widest cell plus
 *   `padding`, at least `minWidth`.
 * - Cells are left-aligned and padded with `padChar` (kubectl always pads with spaces).
 * - `rememberWidths` (kubectl's fork, github.com/liggitt/tabwriter) keeps the widest width seen per
 *   column across flushes, so rows printed one by one by `get -w` stay aligned with the header.
 *
 * We hand-write this because no maintained npm package reproduces Go's column-block semantics.
 */
export interface TabWriterOptions {
  minWidth: number;
  /** Only used when padChar is a tab in Go; kept for parity with Go's constructor. */
  tabWidth: number;
  padding: number;
  padChar?: string;
  rememberWidths?: boolean;
}

/** kubectl describe: tabwriter.NewWriter(out, 0, 8, 2, ' ', 0). */
export const DESCRIBE_TABWRITER: TabWriterOptions = { minWidth: 0, tabWidth: 8, padding: 2, padChar: ' ' };

/**
 * kubectl get: cli-runtime printers.GetNewTabWriter — minwidth 6, tabwidth 4, padding 3, spaces,
 * RememberWidths.
 */
export const GET_TABWRITER: TabWriterOptions = {
  minWidth: 6,
  tabWidth: 4,
  padding: 3,
  padChar: ' ',
  rememberWidths: true,
};

export class TabWriter {
  private buffered = '';
  private readonly maxWidths: number[] = [];
  private readonly padChar: string;

  constructor(private readonly opts: TabWriterOptions) {
    this.padChar = opts.padChar ?? ' ';
  }

  write(text: string): void {
    this.buffered += text;
  }

  /** Lays out everything written since the last flush and returns it. */
  flush(): string {
    const text = this.buffered;
    this.buffered = '';
    if (text === '') return '';
    const endsWithNewline = text.endsWith('\n');
    const rawLines = (endsWithNewline ? text.slice(0, -1) : text).split('\n');
    const lines = rawLines.map((l) => l.split('\t'));
    const out: string[] = [];
    this.layout(lines, 0, lines.length, [], out);
    return out.join('\n') + (endsWithNewline ? '\n' : '');
  }

  /** Go's Writer.format: recursive column-block layout. */
  private layout(lines: string[][], line0: number, line1: number, widths: number[], out: string[]): void {
    const column = widths.length;
    let start = line0;
    for (let current = line0; current < line1; current++) {
      if (column >= (lines[current]?.length ?? 0) - 1) continue;
      // A cell exists in this column: print the lines above the block with the known widths.
      this.emit(lines, start, current, widths, out);
      start = current;
      let width = this.opts.minWidth;
      for (; current < line1; current++) {
        const line = lines[current] ?? [];
        if (column >= line.length - 1) break;
        width = Math.max(width, cellWidth(line[column] ?? '') + this.opts.padding);
      }
      if (this.opts.rememberWidths) {
        const remembered = this.maxWidths[column];
        if (remembered === undefined || remembered < width) this.maxWidths[column] = width;
        else width = remembered;
      }
      this.layout(lines, start, current, [...widths, width], out);
      start = current;
      current--; // the outer loop's increment must not skip the line that ended the block
    }
    this.emit(lines, start, line1, widths, out);
  }

  private emit(lines: string[][], line0: number, line1: number, widths: number[], out: string[]): void {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i] ?? [];
      let text = '';
      cells.forEach((cell, j) => {
        text += cell;
        const width = widths[j];
        if (j < cells.length - 1 && width !== undefined) {
          text += this.padChar.repeat(Math.max(0, width - cellWidth(cell)));
        }
      });
      out.push(text);
    }
  }
}

/** Go's tabwriter counts runes (code points), not UTF-16 units. */
function cellWidth(cell: string): number {
  let n = 0;
  for (const _ of cell) n++;
  return n;
}

/** Lays out a whole text at once. */
export function tabulate(text: string, opts: TabWriterOptions): string {
  const w = new TabWriter(opts);
  w.write(text);
  return w.flush();
}
