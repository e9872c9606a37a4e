// A workflow's jobs as a left-to-right graph: one box per job coloured by status, SVG edges.
import { duration, span } from '../lib/format.ts';
import { layoutGraph } from '../lib/graph.ts';
import { Status } from './ui.tsx';

export interface WorkflowJob {
  id: string;
  name: string;
  type: string;
  status: string;
  job_number?: number;
  dependencies: string[];
  started_at: string | null;
  stopped_at: string | null;
  approval_request_id?: string;
}

const W = 190;
const H = 54;
const GX = 50;
const GY = 16;

export function WorkflowGraph({ jobs, href }: { jobs: WorkflowJob[]; href: (j: WorkflowJob) => string | undefined }) {
  const layout = layoutGraph(jobs);
  const pos = new Map(layout.nodes.map((n) => [n.job.id, n]));
  const width = layout.cols * (W + GX);
  const height = Math.max(1, layout.rows) * (H + GY);
  return (
    <div class="graph" style={{ width: `${width}px`, height: `${height}px` }} aria-label="Workflow graph">
      <svg width={width} height={height} aria-hidden="true">
        {layout.edges.map((e) => {
          const a = pos.get(e.from)!;
          const b = pos.get(e.to)!;
          const x1 = a.col * (W + GX) + W;
          const y1 = a.row * (H + GY) + H / 2;
          const x2 = b.col * (W + GX);
          const y2 = b.row * (H + GY) + H / 2;
          return <path key={`${e.from}-${e.to}`} d={`M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`} />;
        })}
      </svg>
      {layout.nodes.map(({ job, col, row }) => {
        const link = href(job);
        const body = (
          <>
            <span class="name">{job.name}</span>
            <Status status={job.status} />
            <span class="dur">{job.type === 'approval' ? 'approval' : duration(span(job.started_at, job.stopped_at))}</span>
          </>
        );
        const style = { left: `${col * (W + GX)}px`, top: `${row * (H + GY)}px`, width: `${W}px`, height: `${H}px` };
        return link ? (
          <a key={job.id} class={`node n-${job.status}`} style={style} href={link} data-job={job.name}>
            {body}
          </a>
        ) : (
          <div key={job.id} class={`node n-${job.status}`} style={style} data-job={job.name}>
            {body}
          </div>
        );
      })}
    </div>
  );
}
