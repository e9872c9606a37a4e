// A time-series chart (uPlot) of day points; redrawn when the data changes.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: number[];
  color: string;
  scale?: string;
}

export function Chart({ title, x, series, height = 220 }: { title: string; x: number[]; series: Series[]; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const width = Math.max(280, Math.min(900, el.current.clientWidth || 600));
    const plot = new uPlot(
      {
        title,
        width,
        height,
        // A day either side, so a window with one day of runs is not stretched over years.
        scales: { x: { time: true, auto: false, range: [Math.min(...x) - 86_400, Math.max(...x) + 86_400] } },
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale ?? 'y', points: { show: true } }))],
        axes: [{}, { scale: 'y' }, ...(series.some((s) => s.scale && s.scale !== 'y') ? [{ scale: series.find((s) => s.scale && s.scale !== 'y')!.scale, side: 1 }] : [])],
      },
      [x, ...series.map((s) => s.values)],
      el.current,
    );
    return () => plot.destroy();
  }, [title, JSON.stringify(x), JSON.stringify(series)]);
  return <div class="chart" ref={el} role="img" aria-label={title} />;
}
