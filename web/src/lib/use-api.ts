// Loads an API path into a component, with reload and optional polling while `poll` holds.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

type Timer = ReturnType<typeof setTimeout>;

/**
 * The one loader under the hooks below: runs `load(path)` whenever the path, `deps` or a
 * reload change; keeps the last data (and the error of the last attempt, if it failed); drops
 * answers that arrive after the component moved on. `then`, told of each load, may start a
 * timer (cleared with the load) — polling.
 */
function useLoader<T>(path: string | null, load: (path: string, live: () => boolean) => Promise<T>, deps: readonly unknown[], then?: (d: T, reload: () => void) => Timer | undefined): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    let timer: Timer | undefined;
    setLoading(true);
    load(path, () => live)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        timer = then?.(d, reload);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
    // `load` and `then` are read when a load starts; what they depend on is in `deps`.
  }, [path, tick, ...deps]);
  return { data, error, loading, reload };
}

export function useApi<T>(path: string | null, opts: { pollMs?: number; poll?: (d: T) => boolean } = {}): Loaded<T> {
  const pollRef = useRef(opts.poll);
  pollRef.current = opts.poll;
  return useLoader<T>(path, (p) => api.get<T>(p), [opts.pollMs], (d, reload) => (opts.pollMs && pollRef.current?.(d) ? setTimeout(reload, opts.pollMs) : undefined));
}

export interface Page<T> {
  items: T[];
  next_page_token: string | null;
}

async function allPages<T>(path: string, maxPages: number, live: () => boolean): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: Page<T> = await api.get<Page<T>>(token ? `${path}${sep}page-token=${encodeURIComponent(token)}` : path);
    items.push(...page.items);
    token = page.next_page_token;
    pages++;
  } while (token && pages < maxPages && live());
  return { items, truncated: token !== null };
}

/**
 * Every item of a paged list (following `next_page_token`, up to `maxPages` pages), so a chart
 * covers its whole window rather than the first page; `truncated` says when pages were left.
 */
export function useAllPages<T>(path: string | null, maxPages = 50): Loaded<T[]> & { truncated: boolean } {
  const loaded = useLoader(path, (p, live) => allPages<T>(p, maxPages, live), [maxPages]);
  return { ...loaded, data: loaded.data?.items, truncated: loaded.data?.truncated ?? false };
}
