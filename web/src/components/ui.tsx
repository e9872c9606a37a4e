// Small shared pieces: status badges, empty states, errors, tabs, buttons that call the API.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function Status({ status }: { status: string | undefined }) {
  const s = status ?? 'unknown';
  return <span class={`status s-${s.replace(/[^a-z_]/g, '')}`}>{s.replace(/_/g, ' ')}</span>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function ErrorNote({ error }: { error: string | undefined }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="loading" aria-busy="true">Loading {what}…</p>;
}

/** A button that runs an async action, disabled while it runs, showing its error. */
export function ActionButton({ label, run, kind = '' }: { label: string; run: () => Promise<unknown>; kind?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(undefined);
          try {
            await run();
          } catch (e) {
            setError((e as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        {label}
      </button>
      {error ? <span class="error" role="alert">{error}</span> : null}
    </span>
  );
}

export function Tabs<K extends string>({ tabs, active, onChange, label }: { tabs: [K, string][]; active: K; onChange: (k: K) => void; label: string }) {
  return (
    <div role="tablist" aria-label={label} class="tabs">
      {tabs.map(([k, text]) => (
        <button type="button" role="tab" aria-selected={k === active} class={k === active ? 'active' : ''} onClick={() => onChange(k)} key={k}>
          {text}
        </button>
      ))}
    </div>
  );
}

export function Crumbs({ items }: { items: [string, string | undefined][] }) {
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      {items.map(([text, href], i) => (
        <span key={i}>
          {i > 0 ? ' / ' : ''}
          {href ? <a href={href}>{text}</a> : <span aria-current="page">{text}</span>}
        </span>
      ))}
    </nav>
  );
}

/**
 * The submit handler of an inline form: sends the form's fields, then clears the form and the
 * error and reloads what it changed; a failure shows its message instead.
 */
export function submitForm(send: (fields: FormData) => Promise<unknown>, done: () => void, setError: (message: string | undefined) => void) {
  return async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    try {
      await send(new FormData(form));
      form.reset();
      setError(undefined);
      done();
    } catch (err) {
      setError((err as Error).message);
    }
  };
}
