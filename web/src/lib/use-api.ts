// Loads an API path into a component, with reload and optional polling while `poll` holds.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null, opts: { pollMs?: number; poll?: (d: T) => boolean } = {}): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const pollRef = useRef(opts.poll);
  pollRef.current = opts.poll;
  useEffect(() => {
    if (path === null) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setLoading(true);
    api
      .get<T>(path)
      .then((d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        if (opts.pollMs && pollRef.current?.(d)) timer = setTimeout(() => setTick((t) => t + 1), opts.pollMs);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [path, tick, opts.pollMs]);
  return { data, error, loading, reload };
}

export interface Page<T> {
  items: T[];
  next_page_token: string | null;
}

/**
 * Every item of a paged list (following `next_page_token`, up to `maxPages` pages), so a chart
 * covers its whole window rather than the first page; `truncated` says when pages were left.
 */
export function useAllPages<T>(path: string | null, maxPages = 50): Loaded<T[]> & { truncated: boolean } {
  const [data, setData] = useState<T[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [truncated, setTruncated] = useState(false);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setLoading(true);
    (async () => {
      const items: T[] = [];
      let token: string | null = null;
      let pages = 0;
      do {
        const sep = path.includes('?') ? '&' : '?';
        const page: Page<T> = await api.get<Page<T>>(token ? `${path}${sep}page-token=${encodeURIComponent(token)}` : path);
        items.push(...page.items);
        token = page.next_page_token;
        pages++;
      } while (token && pages < maxPages && live);
      return { items, truncated: token !== null };
    })()
      .then((r) => {
        if (!live) return;
        setData(r.items);
        setTruncated(r.truncated);
        setError(undefined);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [path, tick, maxPages]);
  return { data, error, loading, reload, truncated };
}
