import { useEffect, useState } from 'react';
import { KeyBar } from './components/KeyBar';
import { KeyVersion } from './keyContext';
import { AnalyzePage } from './pages/Analyze';
import { ModelReportPage, ModelsPage } from './pages/Models';
import { PipelinePage } from './pages/Pipeline';
import { QueuePage } from './pages/Queue';
import { SearchPage } from './pages/Search';
import { SynthesisPage } from './pages/Synthesis';

const NAV = [
  ['#/analyze', 'Analyze'],
  ['#/search', 'Search'],
  ['#/queue', 'Review queue'],
  ['#/models', 'Models'],
  ['#/pipeline', 'Pipeline'],
  ['#/synthesis', 'Synthesis'],
] as const;

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash || '#/analyze');
  useEffect(() => {
    const on = () => setHash(window.location.hash || '#/analyze');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash;
}

function Page({ hash }: { hash: string }) {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'search':
      return <SearchPage />;
    case 'queue':
      return <QueuePage />;
    case 'models':
      return parts[1] && parts[2] ? <ModelReportPage name={parts[1]} version={parts[2]} /> : <ModelsPage />;
    case 'pipeline':
      return <PipelinePage />;
    case 'synthesis':
      return <SynthesisPage />;
    default:
      return <AnalyzePage />;
  }
}

export function App() {
  const hash = useHash();
  // Pages that load data reload when the key changes (typed input is kept).
  const [keyVersion, setKeyVersion] = useState(0);
  const current = `#/${hash.replace(/^#\/?/, '').split('/')[0] || 'analyze'}`;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">reviewlens</span>
        <nav aria-label="Pages">
          {NAV.map(([href, label]) => (
            <a key={href} href={href} aria-current={current === href ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <KeyBar onChange={() => setKeyVersion((v) => v + 1)} />
      </header>
      <KeyVersion.Provider value={keyVersion}>
        <main id="main" key={hash}>
          <Page hash={hash} />
        </main>
      </KeyVersion.Provider>
    </>
  );
}
