// The reporter for where the output goes: a live view on a terminal, plain lines otherwise.
import type { Reporter } from '../events.ts';
import { PlainReporter } from './plain.ts';

export async function terminalReporter(tty: boolean): Promise<Reporter> {
  if (!tty) return new PlainReporter();
  // Loaded only for a terminal: pipes and CI logs do without the live view's modules.
  const { LiveReporter } = await import('./live.ts');
  return new LiveReporter();
}
