// Shared by the docker tests: whether an engine and the local base image are here, and the
// test-only names under which they tag that image.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
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

/** A tag of this test process: concurrent runs on one engine never share (and untag) a name. */
const RUN_TAG = `run-${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

/**
 * A test-only image name, `circlet-test/<name>:<tag of this run>`. Tests never tag a real image's
 * name (such as `cimg/base:stable`): on a developer's machine that would replace the real image.
 */
export function testImage(name: string): string {
  return `circlet-test/${name}:${RUN_TAG}`;
}

/** Whether the engine knows an image of this name. */
export function imageExists(image: string): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Tags `from` (BASE_IMAGE unless given) under each of `images` (names from `testImage`) and returns
 * the function that removes those tags again (the tagged image itself stays); calling it twice is
 * harmless.
 */
export function tagBaseImage(images: string[], from = BASE_IMAGE): () => void {
  const tagged: string[] = [];
  const untag = () => {
    for (const image of tagged.splice(0)) {
      if (imageExists(image)) execFileSync('docker', ['rmi', image], { stdio: 'ignore' });
    }
  };
  try {
    for (const image of images) {
      if (!image.startsWith('circlet-test/')) throw new Error(`refusing to tag ${image}: test images are named circlet-test/…`);
      execFileSync('docker', ['tag', from, image]);
      tagged.push(image);
    }
  } catch (err) {
    untag();
    throw err;
  }
  return untag;
}
