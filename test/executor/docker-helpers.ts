// Shared by the docker tests: whether an engine and the local base image are here.
import { pingDocker } from '../../src/executor/docker.ts';

/** The local base image .ci/docker-setup.sh builds. */
export const BASE_IMAGE = process.env.CIRCLET_TEST_DOCKER_IMAGE ?? 'local/debian:bookworm';

/** Why the docker tests cannot run here, or undefined when they can. */
export async function dockerUnavailable(): Promise<string | undefined> {
  const ping = await pingDocker();
  if (!ping.ok) return ping.reason;
  try {
    await ping.docker.getImage(BASE_IMAGE).inspect();
  } catch {
    return `the base image ${BASE_IMAGE} is missing (run .ci/docker-setup.sh)`;
  }
  return undefined;
}
