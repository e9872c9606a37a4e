// resource_class → container limits for docker jobs (docs/docker.md). Pure.

/** resource_class → limits (docs/docker.md). CPUs are capped at the engine's CPU count. */
export const RESOURCE_CLASSES: Record<string, { cpus: number; memoryMiB: number }> = {
  small: { cpus: 1, memoryMiB: 2048 },
  medium: { cpus: 2, memoryMiB: 4096 },
  'medium+': { cpus: 3, memoryMiB: 6144 },
  large: { cpus: 4, memoryMiB: 8192 },
  xlarge: { cpus: 8, memoryMiB: 16384 },
  '2xlarge': { cpus: 16, memoryMiB: 32768 },
  '2xlarge+': { cpus: 20, memoryMiB: 40960 },
};

export function resourceLimits(resourceClass: unknown, engineCpus: number): { cpus: number; memoryMiB: number } {
  const rc = typeof resourceClass === 'string' && RESOURCE_CLASSES[resourceClass] ? resourceClass : 'medium';
  const l = RESOURCE_CLASSES[rc]!;
  return { cpus: Math.max(0.01, Math.min(l.cpus, engineCpus || l.cpus)), memoryMiB: l.memoryMiB };
}
