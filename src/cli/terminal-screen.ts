import { renderFrame, type FrameInput } from './terminal-frame.js';

/** The part of a TTY WriteStream the live screen uses (process.stdout in a terminal). */
export interface TerminalLike {
  write(chunk: string): unknown;
  columns?: number;
  rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  removeListener?(event: 'resize', listener: () => void): unknown;
}

// ANSI/VT100 sequences (xterm's ctlseqs): alternate screen with the cursor saved, cursor
// hidden, cursor home, erase to end of line, erase below.
const ENTER = '\x1b[?1049h\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const HOME = '\x1b[H';
const ERASE_LINE = '\x1b[K';
const ERASE_BELOW = '\x1b[J';

/** At most ~10 redraws a second however fast the watches change. */
export const MIN_REDRAW_MS = 100;
/** Ages and back-off countdowns move even when nothing changes. */
export const TICK_MS = 1000;

/**
 * Draws frames on the alternate screen, so the terminal's own contents come back untouched on
 * stop (also on an exit without stop: the process 'exit' hook restores it).
 */
export class LiveScreen {
  private running = false;
  private lastDraw = 0;
  private pending: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly onResize = (): void => this.draw();
  private readonly onExit = (): void => this.stop();

  constructor(
    private readonly terminal: TerminalLike,
    private readonly frame: () => FrameInput,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.terminal.write(ENTER);
    this.terminal.on?.('resize', this.onResize);
    process.once('exit', this.onExit);
    this.ticker = setInterval(() => this.draw(), TICK_MS);
    this.draw();
  }

  /** Something changed: redraw now, or as soon as the rate limit allows (changes coalesce). */
  changed(): void {
    if (!this.running || this.pending) return;
    const wait = this.lastDraw + MIN_REDRAW_MS - Date.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.draw();
    }, wait);
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.pending);
    clearInterval(this.ticker);
    this.pending = undefined;
    this.terminal.removeListener?.('resize', this.onResize);
    process.removeListener('exit', this.onExit);
    this.terminal.write(LEAVE);
  }

  private draw(): void {
    if (!this.running) return;
    this.lastDraw = Date.now();
    // One column short: a line that fills the last column leaves the cursor in a pending wrap,
    // where "erase to end of line" would erase its last character.
    const size = { columns: Math.max(10, (this.terminal.columns ?? 80) - 1), rows: this.terminal.rows ?? 24 };
    const lines = renderFrame(this.frame(), size);
    this.terminal.write(`${HOME}${lines.join(`${ERASE_LINE}\n`)}${ERASE_LINE}${ERASE_BELOW}`);
  }
}
