// How variable values are shown: masked to their last four characters.
export function maskEnvValue(value: string): string {
  const chars = [...value];
  return chars.length > 4 ? 'xxxx' + chars.slice(-4).join('') : 'xxxx';
}
