// `--json`: one JSON object per line, one per event, for other tools.
import type { Reporter, RunEvent } from '../events.ts';

export class JsonReporter implements Reporter {
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}

  event(e: RunEvent): void {
    this.write(JSON.stringify({ ...e, at: new Date().toISOString() }) + '\n');
  }

  close(): void {}
}
