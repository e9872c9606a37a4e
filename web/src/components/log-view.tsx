// One step's output: ANSI colours as HTML, only the lines on screen in the DOM, and
// following the tail while the reader is at the bottom.
import { AnsiUp } from 'ansi_up';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { visibleRange, type LogLines } from '../lib/log-lines.ts';

const LINE = 18;
const MAX_HEIGHT = 480;
const ansi = new AnsiUp();
ansi.use_classes = true;

export function LogView({ log, version }: { log: LogLines; version: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const follow = useRef(true);
  const lines = log.all();
  const height = Math.min(MAX_HEIGHT, Math.max(1, lines.length) * LINE + 8);
  useLayoutEffect(() => {
    const el = box.current;
    if (el && follow.current) {
      el.scrollTop = el.scrollHeight;
      setTop(el.scrollTop);
    }
  }, [version, lines.length]);
  const [first, last] = visibleRange(top, height, LINE, lines.length);
  const html = lines
    .slice(first, last)
    .map((l, i) => `<div class="line" data-n="${first + i + 1}">${ansi.ansi_to_html(l) || ' '}</div>`)
    .join('');
  return (
    <div
      class="log"
      ref={box}
      role="log"
      aria-live="polite"
      tabIndex={0}
      style={{ height: `${height}px` }}
      onScroll={(e) => {
        const el = e.currentTarget;
        follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE;
        setTop(el.scrollTop);
      }}
    >
      <div style={{ height: `${lines.length * LINE}px`, position: 'relative' }}>
        <div style={{ position: 'absolute', top: `${first * LINE}px`, left: 0, right: 0 }} dangerouslySetInnerHTML={{ __html: html }} />
      </div>
    </div>
  );
}
