/** The page: pick the runtime, load the embedded model through the library, set up the tabs. */
import { loadTextToImageModel } from '../src/models/load.js';
import { setUpBenchTab } from './benchTab.js';
import { byId, errorText, setState } from './dom.js';
import { setUpRuntime } from './runtime.js';
import { setUpT2iTab } from './t2iTab.js';

function setUpTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('.tab')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      for (const t of tabs) {
        t.setAttribute('aria-selected', String(t === tab));
        byId(t.dataset.tab!).hidden = t !== tab;
      }
    });
  }
}

async function start(): Promise<void> {
  setUpTabs();
  const backend = byId('backend');
  try {
    const runtime = await setUpRuntime();
    const t0 = performance.now();
    const model = await loadTextToImageModel('/models/mnist-t2i', {
      warn: (m) => console.warn(m),
    });
    const loadMs = performance.now() - t0;
    backend.textContent = `onnxruntime-web on ${runtime.label}; model loaded in ${Math.round(loadMs)} ms`;
    backend.dataset.providers = runtime.providers.join(',');
    setUpT2iTab(model, runtime.label);
    await setUpBenchTab();
    setState('ready');
  } catch (err) {
    backend.textContent = `cannot start: ${errorText(err)}`;
    setState('error');
  }
}

void start();
