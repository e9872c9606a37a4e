// Images of docker jobs: a local image is used as is, otherwise pulled (with the image's
// `auth`, within a timeout); and the image's own PATH, which the job's commands start from.
import type Docker from 'dockerode';
import type { DockerImage } from '../../config/compiled.ts';

/** A local image is used as is; otherwise it is pulled (with the image's `auth`). Returns a note: `local image` or `pulled in N s`. */
export async function ensureImage(docker: Docker, img: DockerImage, timeoutMs: number): Promise<string> {
  try {
    await docker.getImage(img.image).inspect();
    return 'local image';
  } catch {
    /* not here: pull */
  }
  const t0 = Date.now();
  const auth = img.auth ? { username: img.auth.username, password: img.auth.password } : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      const done = (err?: unknown) => {
        clearTimeout(timer);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      };
      docker.pull(img.image, auth ? { authconfig: auth } : {}).then(
        (stream) => docker.modem.followProgress(stream, (err: Error | null) => done(err ?? undefined)),
        done,
      );
    });
  } catch (err) {
    throw new Error(`could not pull image ${img.image}: ${err instanceof Error ? err.message.trim() : String(err)}`);
  }
  return `pulled in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

/** The PATH an image's config sets (the usual default when it sets none). */
export async function imagePath(docker: Docker, image: string): Promise<string> {
  const info = await docker.getImage(image).inspect();
  const imageEnv = (info.Config?.Env ?? []) as string[];
  return imageEnv.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
}
