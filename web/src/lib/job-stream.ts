// Follows a job's output through the API's server-sent events stream
// (`GET /api/v2/jobs/{id}/output/stream`): `step` events name steps and their status,
// `output` events carry chunks, `end` closes. Output is kept per node and step.
import { useEffect, useRef, useState } from 'preact/hooks';
import { LogLines } from './log-lines.ts';

export interface StreamStep {
  node: number;
  step: number;
  name: string;
  status: string;
  exit_code?: number | null;
  log: LogLines;
}

export function useJobStream(jobId: string | undefined): { steps: StreamStep[]; version: number; ended: boolean } {
  const steps = useRef(new Map<string, StreamStep>());
  const [version, setVersion] = useState(0);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    if (!jobId) return;
    steps.current = new Map();
    setEnded(false);
    const source = new EventSource(`/api/v2/jobs/${encodeURIComponent(jobId)}/output/stream`);
    let scheduled = false;
    const bump = () => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        setVersion((v) => v + 1);
      });
    };
    const get = (node: number, step: number, name = '') => {
      const key = `${node}:${step}`;
      let s = steps.current.get(key);
      if (!s) {
        s = { node, step, name, status: 'running', log: new LogLines() };
        steps.current.set(key, s);
      }
      return s;
    };
    source.addEventListener('step', (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { node_index: number; step: number; name: string; status: string; exit_code?: number | null };
      const s = get(d.node_index, d.step, d.name);
      s.name = d.name;
      s.status = d.status;
      if (d.exit_code !== undefined) s.exit_code = d.exit_code;
      bump();
    });
    source.addEventListener('output', (e) => {
      const d = JSON.parse((e as MessageEvent).data) as { node_index: number; step: number; message: string };
      get(d.node_index, d.step).log.append(d.message);
      bump();
    });
    source.addEventListener('end', () => {
      source.close();
      setEnded(true);
      bump();
    });
    return () => source.close();
  }, [jobId]);
  const list = [...steps.current.values()].sort((a, b) => a.node - b.node || a.step - b.step);
  return { steps: list, version, ended };
}
