// Debian's chromium driven by playwright-core, with the flags this machine needs (no
// background networking: the network is closed) and an empty profile per launch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from '../helpers/databases.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** A fresh browser with an empty profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = tempDir('circlet-chromium-');
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A folder for a test's screenshots: removed once the test is done (tests leave the machine as
 * they found it), kept and printed with CIRCLET_KEEP_SCREENSHOTS=1 to look at them.
 */
export function screenshotDir(name: string): { dir: string; done(): void } {
  const dir = path.join(os.tmpdir(), `circlet-screenshots-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(dir, { recursive: true });
  return {
    dir,
    done() {
      if (process.env.CIRCLET_KEEP_SCREENSHOTS) console.log(`${name} screenshots: ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
