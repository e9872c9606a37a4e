// A step's output as lines, fed chunk by chunk as the stream delivers it, and the window of
// lines to render for a scroll position (only what is on screen is in the DOM). Pure.

export class LogLines {
  readonly lines: string[] = [];
  private partial = '';

  /** Appends output; a line is complete at `\n` (a lone `\r` rewrites the line, as a terminal). */
  append(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop()!;
    for (const p of parts) this.lines.push(carriage(p));
  }

  /** Every line, the unfinished last one included. */
  all(): string[] {
    return this.partial === '' ? this.lines : [...this.lines, carriage(this.partial)];
  }

  get count(): number {
    return this.lines.length + (this.partial === '' ? 0 : 1);
  }
}

function carriage(line: string): string {
  const l = line.endsWith('\r') ? line.slice(0, -1) : line;
  const i = l.lastIndexOf('\r');
  return i === -1 ? l : l.slice(i + 1);
}

/** The first and one-past-last line to render, with `overscan` lines either side. */
export function visibleRange(scrollTop: number, viewport: number, lineHeight: number, count: number, overscan = 30): [number, number] {
  const first = Math.min(count, Math.max(0, Math.floor(scrollTop / lineHeight) - overscan));
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / lineHeight) + overscan);
  return [first, Math.max(first, last)];
}
