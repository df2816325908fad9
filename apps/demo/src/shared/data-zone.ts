/**
 * "Your data" on a family page: a drop zone for a folder (or files) of PNG/JPEG images or a
 * CSV/TSV file of 2-D points, the same through file inputs (a folder picker and a file
 * picker, for keyboard users and browsers without folder drops), the image size, and what
 * the model now trains on (`#data-info`, whose data attributes the tests read).
 */
import { DATA_ACCEPT, dataRequest, relativeTo } from './data-files.js';
import { el } from './dom.js';
import type { DataFile, DataRequest, DataSummary, OwnDataSupport } from './protocol.js';

/** Sides the images can be read at (all divisible by 4, as the convolutional VAE needs). */
const IMAGE_SIZES = [16, 28, 32, 48, 64];
const DEFAULT_IMAGE_SIZE = 28;

export interface DataZoneOptions {
  support: OwnDataSupport;
  /** The user gave data (`request`), or asked for the built-in data back (null). */
  onData(request: DataRequest | null): void;
  /** Input that cannot be used (shown like the worker's errors). */
  onError(message: string): void;
}

export class DataZone {
  readonly element: HTMLElement;
  readonly #info = el('output', { id: 'data-info', 'data-kind': 'builtin' });
  readonly #builtin = el('button', { id: 'builtin', type: 'button', hidden: '' }, 'Built-in data');
  readonly #size = el('select', { id: 'image-size', 'aria-label': 'image size' });
  readonly #inputs: HTMLInputElement[] = [];
  readonly #opts: DataZoneOptions;

  constructor(opts: DataZoneOptions) {
    this.#opts = opts;
    const { support } = opts;
    const images = support.images === true;
    const points = support.points === true;
    const what = [
      images && 'a folder of PNG or JPEG images',
      points && 'a CSV/TSV file of 2-D points',
    ]
      .filter(Boolean)
      .join(' or ');
    const drop = el(
      'div',
      { id: 'drop', class: 'drop' },
      `Drop ${what} here: the model trains on it instead of the built-in data.`,
    );
    const controls = el('div', { class: 'controls' });
    if (images) {
      const folder = this.#input({ id: 'data-folder', webkitdirectory: '', multiple: '' });
      this.#size.append(...IMAGE_SIZES.map((s) => el('option', { value: String(s) }, `${s}x${s}`)));
      this.#size.value = String(DEFAULT_IMAGE_SIZE);
      controls.append(
        el('label', { class: 'file' }, 'Image folder ', folder),
        el('label', {}, 'Image size ', this.#size),
      );
    }
    const accept = [images && DATA_ACCEPT.images, points && DATA_ACCEPT.points].filter(Boolean);
    const file = this.#input({
      id: 'data-file',
      accept: accept.join(','),
      ...(images ? { multiple: '' } : {}),
    });
    controls.append(
      el('label', { class: 'file' }, images && !points ? 'Image files ' : 'Points file ', file),
      this.#builtin,
    );
    const notes = Object.values(support).filter((v): v is string => typeof v === 'string');
    this.element = el(
      'section',
      { id: 'own-data', class: 'own-data' },
      el('h2', {}, 'Your data'),
      drop,
      controls,
      ...notes.map((n) => el('p', { class: 'note' }, n)),
      this.#info,
    );
    this.#builtin.addEventListener('click', () => opts.onData(null));
    onDrop(drop, (dt) => {
      if (this.#inputs[0]?.disabled) return;
      droppedFiles(dt).then(
        ({ files, source }) => this.#give(files, source),
        (err: Error) => opts.onError(`could not read what was dropped: ${err.message}`),
      );
    });
    this.show(undefined);
  }

  /** A file input that hands its files over and clears itself. */
  #input(attrs: Record<string, string>): HTMLInputElement {
    const input = el('input', { type: 'file', ...attrs });
    input.addEventListener('change', () => {
      const list = [...(input.files ?? [])];
      input.value = '';
      if (list.length === 0) return;
      // <input webkitdirectory> names each file under the picked folder: 'pets/cat/001.png'.
      const { paths, source } = relativeTo(list.map((f) => f.webkitRelativePath || f.name));
      this.#give(
        list.map((file, i) => ({ path: paths[i], file })),
        source,
      );
    });
    this.#inputs.push(input);
    return input;
  }

  #give(files: DataFile[], source: string): void {
    const r = dataRequest(files, source, this.#opts.support, Number(this.#size.value) || 28);
    if (typeof r === 'string') this.#opts.onError(r);
    else this.#opts.onData(r);
  }

  /** No new data while the worker is busy or training. */
  setBusy(busy: boolean): void {
    for (const i of this.#inputs) i.disabled = busy;
    this.#size.disabled = busy;
    this.#builtin.disabled = busy;
  }

  /** What the current model trains on: `data`, or the built-in data. */
  show(data: DataSummary | undefined): void {
    const info = this.#info;
    this.#builtin.hidden = !data;
    if (!data) {
      info.dataset.kind = 'builtin';
      delete info.dataset.shape;
      delete info.dataset.rows;
      info.replaceChildren('Training on the built-in data.');
      return;
    }
    info.dataset.kind = data.kind;
    info.dataset.shape = data.shape.join(',');
    info.dataset.rows = String(data.shape[0]);
    const [n, ...each] = data.shape;
    const what =
      data.kind === 'images'
        ? `${n} images of ${each.join('x')} (C x H x W)`
        : `${n} points of ${each[0]} values`;
    info.replaceChildren(
      el(
        'p',
        {},
        el('strong', {}, `Your data: ${what}`),
        ` from '${data.source}' · ${data.trainRows} to train on, ${data.valRows} held out · batch ${data.batchSize}`,
      ),
      el('ul', { class: 'note' }, ...data.notes.map((t) => el('li', {}, t))),
    );
  }
}

/** Make `zone` a drop target: highlighted (class `over`) while files hover, `onFiles` on a drop. */
export function onDrop(zone: HTMLElement, onFiles: (dt: DataTransfer) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    if (e.dataTransfer) onFiles(e.dataTransfer);
  });
}

/**
 * The files of a drop, folders walked (paths relative to a single dropped folder). Entries
 * and the file list are taken at once: the DataTransfer is emptied once the event is over.
 */
export function droppedFiles(dt: DataTransfer): Promise<{ files: DataFile[]; source: string }> {
  const list = [...dt.files];
  const entries = [...dt.items]
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.() ?? null);
  const named = (files: File[], paths: string[]) => {
    const rel = relativeTo(paths);
    return { files: files.map((file, i) => ({ path: rel.paths[i], file })), source: rel.source };
  };
  // A drop without entries (e.g. a DataTransfer made by a script): its plain files.
  if (entries.length === 0 || entries.some((e) => e === null))
    return Promise.resolve(
      named(
        list,
        list.map((f) => f.name),
      ),
    );
  return Promise.all((entries as FileSystemEntry[]).map(walk)).then((nested) => {
    const all = nested.flat();
    return named(
      all.map((a) => a.file),
      all.map((a) => a.path),
    );
  });
}

/** Every file under `entry`, with its path from the dropped item ('pets/cat/001.png'). */
async function walk(entry: FileSystemEntry): Promise<{ path: string; file: File }[]> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    return [{ path, file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries hands out a folder's entries in batches, until an empty one.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) break;
    children.push(...batch);
  }
  return (await Promise.all(children.map(walk))).flat();
}
