// The app shell: session check, header, and the page for the current URL. An unsigned visit
// to any page goes to sign-in and comes back after.
import { useEffect, useState } from 'preact/hooks';
import { api, handleUnauthorized, setSession, type Session } from './lib/api.ts';
import { navigate, useLocation } from './lib/navigate.ts';
import { links, matchRoute, type Route } from './lib/router.ts';
import { ContextsPage } from './pages/contexts.tsx';
import { InsightsPage } from './pages/insights.tsx';
import { JobPage } from './pages/job.tsx';
import { PipelinePage } from './pages/pipeline.tsx';
import { PipelinesPage } from './pages/pipelines.tsx';
import { ProjectsPage } from './pages/projects.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { TokensPage } from './pages/tokens.tsx';
import { WorkflowPage } from './pages/workflow.tsx';
import { Loading } from './components/ui.tsx';

export function App() {
  const loc = useLocation();
  const route = matchRoute(loc.pathname, loc.search);
  const [session, setS] = useState<Session | null | undefined>(undefined);
  const set = (s: Session | null) => {
    setSession(s);
    setS(s);
  };
  useEffect(() => {
    handleUnauthorized(() => {
      set(null);
      if (location.pathname !== '/sign-in') navigate(links.signIn(location.pathname + location.search), true);
    });
    api.session().then(set, () => set(null));
  }, []);
  useEffect(() => {
    if (session === null && route.name !== 'sign-in') navigate(links.signIn(loc.pathname + loc.search), true);
  }, [session, route.name]);
  useEffect(() => {
    document.title = `${titleOf(route)} · circlet`;
  }, [loc.pathname]);

  if (session === undefined) return <Loading what="session" />;
  return (
    <>
      <header class="top">
        <a class="brand" href="/">circlet</a>
        {session ? (
          <nav aria-label="Main">
            <a href="/projects">Projects</a>
            <a href={links.tokens()}>Tokens</a>
            <span class="who">{session.user.login}</span>
            <button
              type="button"
              onClick={async () => {
                await api.signOut().catch(() => undefined);
                set(null);
                navigate('/sign-in', true);
              }}
            >
              Sign out
            </button>
          </nav>
        ) : null}
      </header>
      <main>{route.name === 'sign-in' ? <SignInPage next={route.next} onSignedIn={set} /> : session ? <Page route={route} /> : null}</main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.name) {
    case 'projects':
      return <ProjectsPage />;
    case 'pipelines':
      return <PipelinesPage key={route.slug} slug={route.slug} branch={route.branch} />;
    case 'pipeline':
      return <PipelinePage key={`${route.slug}/${route.number}`} slug={route.slug} number={route.number} />;
    case 'workflow':
      return <WorkflowPage key={route.workflowId} slug={route.slug} number={route.number} workflowId={route.workflowId} />;
    case 'job':
      return <JobPage key={`${route.slug}/${route.jobNumber}`} slug={route.slug} number={route.number} workflowId={route.workflowId} jobNumber={route.jobNumber} />;
    case 'settings':
      return <SettingsPage slug={route.slug} />;
    case 'tokens':
      return <TokensPage />;
    case 'contexts':
      return <ContextsPage org={route.org} />;
    case 'insights':
      return <InsightsPage slug={route.slug} />;
    case 'sign-in':
      return null;
    case 'not-found':
      return (
        <section>
          <h1>Page not found</h1>
          <p class="empty">
            Nothing lives at <code>{route.path}</code> — go to <a href="/projects">your projects</a>.
          </p>
        </section>
      );
  }
}

function titleOf(r: Route): string {
  switch (r.name) {
    case 'job':
      return `Job ${r.jobNumber} · ${r.slug}`;
    case 'workflow':
      return `Workflow · ${r.slug} ${r.number}`;
    case 'pipeline':
      return `Pipeline ${r.number} · ${r.slug}`;
    case 'pipelines':
      return `Pipelines · ${r.slug}`;
    case 'settings':
      return `Settings · ${r.slug}`;
    case 'insights':
      return `Insights · ${r.slug}`;
    case 'contexts':
      return `Contexts · ${r.org}`;
    case 'sign-in':
      return 'Sign in';
    case 'projects':
      return 'Projects';
    case 'tokens':
      return 'Personal API tokens';
    default:
      return 'Not found';
  }
}
