// Lays a workflow's jobs out left to right from `requires`: a job's column is the length of
// its longest chain of requirements, rows follow the order of the parents. Pure.

export interface GraphJob {
  id: string;
  dependencies: string[];
}

export interface Placed<J> {
  job: J;
  col: number;
  row: number;
}

export interface Edge {
  from: string;
  to: string;
}

export interface Layout<J> {
  nodes: Placed<J>[];
  edges: Edge[];
  cols: number;
  rows: number;
}

export function layoutGraph<J extends GraphJob>(jobs: J[]): Layout<J> {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const col = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = col.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle (never valid config): stop here
    visiting.add(id);
    const deps = byId.get(id)?.dependencies.filter((d) => byId.has(d)) ?? [];
    const c = deps.length === 0 ? 0 : Math.max(...deps.map(depth)) + 1;
    visiting.delete(id);
    col.set(id, c);
    return c;
  };
  for (const j of jobs) depth(j.id);
  const columns: J[][] = [];
  for (const j of jobs) (columns[col.get(j.id)!] ??= []).push(j);
  const rowOf = new Map<string, number>();
  const nodes: Placed<J>[] = [];
  columns.forEach((members, c) => {
    const meanParentRow = (j: J) => {
      const rows = j.dependencies.map((d) => rowOf.get(d)).filter((r): r is number => r !== undefined);
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : 0;
    };
    const ordered = c === 0 ? members : [...members].sort((a, b) => meanParentRow(a) - meanParentRow(b));
    ordered.forEach((j, r) => {
      rowOf.set(j.id, r);
      nodes.push({ job: j, col: c, row: r });
    });
  });
  const edges = jobs.flatMap((j) => j.dependencies.filter((d) => byId.has(d)).map((d) => ({ from: d, to: j.id })));
  return { nodes, edges, cols: columns.length, rows: Math.max(0, ...columns.map((c) => c?.length ?? 0)) };
}
