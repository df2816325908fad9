/**
 * The page shell every family shares: navigation, preset and device pickers, train / stop /
 * save / load, a status line with machine-readable progress (`#status` data attributes:
 * state, step, loss; the Playwright test waits on them), the loss chart, and panels the
 * family fills with its views. The model lives in a Web Worker made by `createWorker`.
 */
import { LossChart } from './chart.js';
import { DataZone } from './data-zone.js';
import { el } from './dom.js';
import type { Device, FromWorker, ModelInfo, ToWorker } from './protocol.js';

export { el };

export interface PageOptions<V> {
  family: string;
  title: string;
  /** What the page shows, in a sentence or two. */
  blurb: string;
  /** `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`, in the family's module. */
  createWorker(): Worker;
  onView(view: V): void;
  /** Called when a model is ready (fresh or loaded). */
  onReady?(info: ModelInfo): void;
  /** Called with every error the worker reports. */
  onError?(message: string): void;
  /**
   * The `extra` of a fresh model made by the shell (first model, New model, a preset change):
   * lets a page with modes (the GPT page's LoRA fine-tuning) keep its mode. Default: none.
   */
  createExtra?(): unknown;
}

export interface Page {
  /** A titled panel appended to the page's grid. */
  panel(title: string, ...children: (HTMLElement | string)[]): HTMLElement;
  /** Controls row of the family (e.g. a prompt box). */
  readonly controls: HTMLElement;
  send(message: ToWorker): void;
  action(name: string, args?: unknown): void;
  /** A fresh model of the selected preset; `extra` goes to the family's `create`. */
  create(extra?: unknown): void;
  readonly info: ModelInfo | undefined;
}

const FAMILIES: [string, string][] = [
  ['vae', 'VAE'],
  ['gan', 'GAN'],
  ['transformer', 'GPT'],
  ['flow', 'Flow'],
  ['diffusion', 'Diffusion'],
];

/** An absolute URL under the app's base (works from the page and from workers it starts). */
export function appUrl(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, location.href).href;
}

export function createPage<V>(opts: PageOptions<V>): Page {
  const params = new URL(location.href).searchParams;
  const device: Device = params.get('device') === 'webgpu' ? 'webgpu' : 'wasm';
  const app = document.getElementById('app') ?? document.body;

  const nav = el(
    'nav',
    {},
    el('a', { href: './index.html' }, 'genmodels'),
    ...FAMILIES.map(([f, label]) =>
      el('a', { href: `./${f}.html`, class: f === opts.family ? 'current' : '' }, label),
    ),
  );
  const presetSelect = el('select', { id: 'preset', 'aria-label': 'preset' });
  const deviceSelect = el(
    'select',
    { id: 'device', 'aria-label': 'device' },
    el('option', { value: 'wasm' }, 'WASM (CPU)'),
    el('option', { value: 'webgpu' }, 'WebGPU'),
  );
  deviceSelect.value = device;
  const newButton = el('button', { id: 'new', type: 'button' }, 'New model');
  const trainButton = el('button', { id: 'train', type: 'button', class: 'primary' }, 'Train');
  const stopButton = el('button', { id: 'stop', type: 'button' }, 'Stop');
  const saveButton = el('button', { id: 'save', type: 'button' }, 'Save checkpoint');
  const loadInput = el('input', {
    id: 'load',
    type: 'file',
    multiple: '',
    accept: '.safetensors,.json',
  });
  const status = el('output', { id: 'status', 'data-state': 'starting', 'data-step': '0' });
  status.textContent = 'starting the worker…';
  const errorBox = el('p', { id: 'error', class: 'error', hidden: '' });
  const downloads = el('p', { id: 'downloads', class: 'downloads' });
  const infoBox = el('div', { id: 'info', class: 'info' });
  const runtimeLine = el('p', { id: 'runtime', class: 'runtime' });
  const chart = new LossChart();
  const controls = el('div', { class: 'controls family-controls' });
  const grid = el('div', { class: 'panels' });
  const dataSlot = el('div', { class: 'data-slot' });

  app.append(
    el('header', {}, nav, el('h1', {}, opts.title), el('p', { class: 'blurb' }, opts.blurb)),
    el(
      'section',
      { class: 'toolbar' },
      el('label', {}, 'Preset ', presetSelect),
      el('label', {}, 'Device ', deviceSelect),
      newButton,
      trainButton,
      stopButton,
      saveButton,
      el('label', { class: 'file' }, 'Load checkpoint ', loadInput),
    ),
    dataSlot,
    el('section', { class: 'progress' }, status, errorBox, downloads, chart.canvas),
    controls,
    grid,
    infoBox,
    el('footer', {}, runtimeLine),
  );

  let worker: Worker;
  let info: ModelInfo | undefined;
  let state = 'starting';
  let zone: DataZone | undefined;

  const setState = (s: string) => {
    state = s;
    status.dataset.state = s;
    const busy = s === 'busy' || s === 'starting';
    trainButton.disabled = busy || s === 'training' || !info?.trainable;
    stopButton.disabled = s !== 'training';
    newButton.disabled = busy;
    saveButton.disabled = busy || !info;
    loadInput.disabled = busy;
    presetSelect.disabled = busy;
    zone?.setBusy(busy || s === 'training');
    if (s !== 'training') status.textContent = statusText();
  };
  const statusText = (extra = '') => {
    const step = status.dataset.step ?? '0';
    const loss = status.dataset.loss ? ` · loss ${Number(status.dataset.loss).toPrecision(4)}` : '';
    return `${state} · step ${step}${loss}${extra}`;
  };
  const showError = (message: string) => {
    errorBox.hidden = false;
    errorBox.textContent = message;
    status.dataset.error = message;
  };
  const clearError = () => {
    errorBox.hidden = true;
    delete status.dataset.error;
  };

  const onMessage = (e: MessageEvent<FromWorker<V>>) => {
    const m = e.data;
    switch (m.type) {
      case 'hello': {
        presetSelect.replaceChildren(
          ...m.presets.map((p) => el('option', { value: p.name, title: p.description }, p.name)),
        );
        const wanted = params.get('preset');
        presetSelect.value =
          wanted && m.presets.some((p) => p.name === wanted) ? wanted : m.defaultPreset;
        const r = m.runtime;
        status.dataset.device = r.device;
        status.dataset.threads = String(r.threads);
        if (m.ownData && !zone) {
          zone = new DataZone({
            support: m.ownData,
            onData: (request) => {
              clearError();
              page.send({ type: 'data', preset: presetSelect.value, seed: 0, request });
            },
            onError: showError,
          });
          dataSlot.append(zone.element);
        }
        runtimeLine.textContent = `onnxruntime-web · ${r.device} · ${r.threads} thread${r.threads > 1 ? 's' : ''} · ${r.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated (1 thread)'}`;
        page.create();
        return;
      }
      case 'ready':
        info = m.info;
        // A loaded model of a preset this page offers: show that preset as selected.
        if ([...presetSelect.options].some((o) => o.value === m.info.preset))
          presetSelect.value = m.info.preset;
        chart.clear();
        status.dataset.step = String(m.info.step);
        delete status.dataset.loss;
        showInfo(m.info);
        zone?.show(m.info.data);
        opts.onReady?.(m.info);
        return;
      case 'info':
        info = m.info;
        showInfo(m.info);
        setState(state);
        return;
      case 'state':
        setState(m.state);
        return;
      case 'progress': {
        chart.add(m.series);
        const first = Object.values(m.series)[0];
        const last = first?.[first.length - 1];
        status.dataset.step = String(m.step);
        if (last) status.dataset.loss = String(last[1]);
        if (info) info.step = m.step;
        status.textContent = statusText(` · ${m.stepsPerSec.toFixed(1)} steps/s`);
        return;
      }
      case 'view':
        opts.onView(m.view);
        return;
      case 'files':
        offerDownloads(m.files);
        return;
      case 'error':
        showError(m.message);
        opts.onError?.(m.message);
        return;
    }
  };

  const showInfo = (i: ModelInfo) => {
    infoBox.replaceChildren(
      el(
        'p',
        {},
        el('strong', {}, `${i.preset}`),
        ` — ${i.description} · ${i.parameters.toLocaleString('en-US')} parameters · from ${i.origin}`,
      ),
      ...(i.note ? [el('p', { class: 'note' }, i.note)] : []),
      el(
        'details',
        {},
        el('summary', {}, 'config'),
        el('pre', {}, JSON.stringify(i.config, null, 2)),
      ),
    );
  };

  const offerDownloads = (files: { name: string; data: Uint8Array | string }[]) => {
    const stem = `${opts.family}-${info?.preset ?? 'model'}-step${info?.step ?? 0}`;
    const links = files.map((f) => {
      const blob = new Blob([f.data as BlobPart], {
        type: typeof f.data === 'string' ? 'application/json' : 'application/octet-stream',
      });
      const name = f.name === 'model.safetensors' ? `${stem}.safetensors` : `${stem}.${f.name}`;
      return el('a', { href: URL.createObjectURL(blob), download: name }, name);
    });
    downloads.replaceChildren('Saved: ', ...links.flatMap((a, i) => (i ? [' · ', a] : [a])));
    // The weights are enough to load (config is in their metadata); config.json is offered beside.
    links[0]?.click();
  };

  const start = () => {
    worker?.terminate();
    info = undefined;
    setState('starting');
    worker = opts.createWorker();
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', (e) => showError(`worker error: ${e.message}`));
    page.send({
      type: 'init',
      device: deviceSelect.value as Device,
      wasmPaths: appUrl('ort/'),
      dataUrl: appUrl('mnist'),
    });
  };

  const page: Page = {
    controls,
    get info() {
      return info;
    },
    panel(title, ...children) {
      const p = el('section', { class: 'panel' }, el('h2', {}, title), ...children);
      grid.append(p);
      return p;
    },
    send: (message) => worker.postMessage(message),
    action: (name, args) => page.send({ type: 'action', name, args }),
    create(extra = opts.createExtra?.()) {
      clearError();
      page.send({ type: 'create', preset: presetSelect.value, seed: 0, extra });
    },
  };

  newButton.addEventListener('click', () => page.create());
  presetSelect.addEventListener('change', () => {
    const u = new URL(location.href);
    u.searchParams.set('preset', presetSelect.value);
    history.replaceState(null, '', u);
    page.create();
  });
  deviceSelect.addEventListener('change', () => {
    const u = new URL(location.href);
    u.searchParams.set('device', deviceSelect.value);
    history.replaceState(null, '', u);
    start();
  });
  trainButton.addEventListener('click', () => {
    clearError();
    page.send({ type: 'train' });
  });
  stopButton.addEventListener('click', () => page.send({ type: 'stop' }));
  saveButton.addEventListener('click', () => page.send({ type: 'save' }));
  loadInput.addEventListener('change', () => {
    const files = [...(loadInput.files ?? [])];
    loadInput.value = '';
    if (files.length === 0) return;
    clearError();
    page.send({ type: 'load', files });
  });

  start();
  return page;
}
