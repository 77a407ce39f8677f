/** The page: pick the runtime, load the embedded model through the library, set up the tabs. */
import { loadTextToImageModel } from '../src/models/load.js';
import { setUpBenchTab } from './benchTab.js';
import { byId, errorText, setState } from './dom.js';
import { setUpRuntime } from './runtime.js';
import { setUpT2iTab } from './t2iTab.js';

/** The embedded model the page loads (a folder under models/). */
const MODEL = 'mnist-t2i';

/** Tabs as the ARIA pattern has them: click, or ←/→ between them. */
function setUpTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('.tab')];
  const select = (tab: HTMLButtonElement) => {
    for (const t of tabs) {
      t.setAttribute('aria-selected', String(t === tab));
      t.tabIndex = t === tab ? 0 : -1;
      byId(t.dataset.tab!).hidden = t !== tab;
    }
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab));
    tab.addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (step === 0) return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      select(next);
      next.focus();
    });
  });
}

async function start(): Promise<void> {
  setUpTabs();
  const backend = byId('backend');
  try {
    const runtime = await setUpRuntime();
    const t0 = performance.now();
    const model = await loadTextToImageModel(`/models/${MODEL}`, {
      warn: (m) => console.warn(m),
    });
    const loadMs = performance.now() - t0;
    backend.textContent = `onnxruntime-web on ${runtime.label}; model loaded in ${Math.round(loadMs)} ms`;
    backend.dataset.providers = runtime.providers.join(',');
    setUpT2iTab(model, MODEL, runtime.label);
    await setUpBenchTab();
    setState('ready');
  } catch (err) {
    backend.textContent = `cannot start: ${errorText(err)}`;
    setState('error');
  }
}

void start();
