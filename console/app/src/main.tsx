import '@picocss/pico/css/pico.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter-preact';
import { api, takeToken } from './api';
import { Failure } from './parts';
import { CallPage } from './pages/call-page';
import { CallsPage } from './pages/calls-page';
import { NumberPage } from './pages/number-page';
import { NumbersPage } from './pages/numbers-page';
import { OverviewPage } from './pages/overview-page';

function Nav() {
  const [location] = useLocation();
  const item = (href: string, text: string) => (
    <li>
      <Link href={href} aria-current={location === href || location.startsWith(`${href}/`) ? 'page' : undefined}>
        {text}
      </Link>
    </li>
  );
  return (
    <ul>
      {item('/calls', 'Calls')}
      {item('/numbers', 'Numbers')}
      {item('/overview', 'Overview')}
    </ul>
  );
}

function App() {
  const [session, setSession] = useState<{ target: string } | Error>();
  useEffect(() => {
    api<{ target: string }>('/session').then(setSession, setSession);
  }, []);
  return (
    <>
      <header class="container-fluid">
        <nav aria-label="Console">
          <ul>
            <li>
              <strong>Switchboard</strong>
              {session && !(session instanceof Error) && <small class="target"> {session.target}</small>}
            </li>
          </ul>
          <Nav />
        </nav>
      </header>
      <main class="container-fluid">
        {session instanceof Error ? (
          <Failure error={session} />
        ) : (
          <Switch>
            <Route path="/calls" component={CallsPage} />
            <Route path="/calls/:callId">{(params) => <CallPage callId={decodeURIComponent(params.callId)} />}</Route>
            <Route path="/numbers" component={NumbersPage} />
            <Route path="/numbers/new">{() => <NumberPage />}</Route>
            <Route path="/numbers/:number">{(params) => <NumberPage number={decodeURIComponent(params.number)} />}</Route>
            <Route path="/overview" component={OverviewPage} />
            <Route>
              <Redirect to="/calls" replace />
            </Route>
          </Switch>
        )}
      </main>
    </>
  );
}

takeToken().finally(() => render(<App />, document.getElementById('app')!));
