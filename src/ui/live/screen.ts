// The terminal side of the live view: frames are drawn on the terminal's
// alternate screen (as less and htop do), so nothing of a frame ever reaches
// the scrollback, a resize is one full redraw at the new size, and leaving it
// gives back the screen as it was. Each frame is one write: every line is
// cleared and rewritten in place, the rest of the screen erased.

const ALT_ON = '\u001b[?1049h';
const ALT_OFF = '\u001b[?1049l';
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';

export interface ScreenStream extends NodeJS.WritableStream {
  columns?: number | undefined;
  rows?: number | undefined;
}

export class Screen {
  private active = false;
  private readonly restoreOnExit = (): void => {
    if (this.active) this.out.write(`${SHOW_CURSOR}${ALT_OFF}`);
  };
  private readonly onResize = (): void => this.resized();
  private resized: () => void = () => {};

  constructor(private readonly out: ScreenStream) {}

  get size(): { width: number; height: number } {
    const width = this.out.columns !== undefined && this.out.columns > 0 ? this.out.columns : 80;
    const height = this.out.rows !== undefined && this.out.rows > 0 ? this.out.rows : 24;
    return { width, height };
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Switch to the alternate screen; `onResize` is called when the terminal changes size. */
  enter(onResize: () => void): void {
    if (this.active) return;
    this.active = true;
    this.resized = onResize;
    this.out.write(`${ALT_ON}${HIDE_CURSOR}\u001b[H\u001b[2J`);
    this.out.on('resize', this.onResize);
    // a crash or a second Ctrl-C must not leave the terminal on the alternate screen
    process.once('exit', this.restoreOnExit);
  }

  /** Draw a frame (lines already fit the size). */
  draw(lines: string[]): void {
    if (!this.active) return;
    let text = '\u001b[H';
    lines.forEach((l, i) => {
      text += `\u001b[${i + 1};1H\u001b[2K${l}`;
    });
    text += `\u001b[${lines.length + 1};1H\u001b[J`;
    this.out.write(text);
  }

  /** Back to the normal screen, as it was before enter(). */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    this.out.off('resize', this.onResize);
    process.off('exit', this.restoreOnExit);
    this.out.write(`${SHOW_CURSOR}${ALT_OFF}`);
  }
}
