// A job's test results in the order people read them: failures first. Pure.

export interface TestResult {
  name: string;
  classname: string;
  file: string | null;
  result: string;
  message: string | null;
  run_time: number;
}

const rank: Record<string, number> = { failure: 0, failed: 0, error: 0, skipped: 2 };

export function orderTests<T extends Pick<TestResult, 'result' | 'classname' | 'name'>>(tests: T[]): T[] {
  return [...tests].sort((a, b) => (rank[a.result] ?? 1) - (rank[b.result] ?? 1) || a.classname.localeCompare(b.classname) || a.name.localeCompare(b.name));
}

export function isFailure(result: string): boolean {
  return (rank[result] ?? 1) === 0;
}
