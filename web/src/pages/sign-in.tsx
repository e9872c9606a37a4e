// Sign-in: a personal API token is exchanged for a session cookie; the token is kept nowhere.
import { useState } from 'preact/hooks';
import { api, setSession, type Session } from '../lib/api.ts';
import { navigate } from '../lib/navigate.ts';
import { ErrorNote } from '../components/ui.tsx';

export function SignInPage({ next, onSignedIn }: { next: string; onSignedIn: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <section class="sign-in card">
      <h1>Sign in to circlet</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const form = e.currentTarget;
          const input = form.elements.namedItem('token') as HTMLInputElement;
          setBusy(true);
          try {
            const s = await api.signIn(input.value);
            input.value = '';
            setSession(s);
            onSignedIn(s);
            navigate(next, true);
          } catch (err) {
            setError((err as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <label for="token">API token</label>
        <input id="token" name="token" type="password" autoComplete="off" required autoFocus />
        <p class="hint">
          Create one with <code>circlet token create &lt;login&gt;</code>.
        </p>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </section>
  );
}
