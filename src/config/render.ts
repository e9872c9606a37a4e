// Rendering the compiled config as YAML, with `config process`-style orb header comments.
import { stringify } from 'yaml';

export function renderCompiled(compiled: Record<string, unknown>, orbs: { ref: string; resolved: string }[]): string {
  const header = orbs.map((o) => `# Orb '${o.ref}' resolved to '${o.resolved}'\n`).join('');
  const body = stringify(compiled, { version: '1.1', lineWidth: 0, indentSeq: false, aliasDuplicateObjects: false });
  return header + body;
}
