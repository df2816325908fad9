/**
 * A folder of the user's own PNG / JPEG images as one float32 tensor [N, C, S, S] in [0, 1],
 * with ImageFolder-style class labels from the first-level subfolders. One core serves both
 * entry points: `readImageFolder` (Node.js: lists a folder) and `readImageFiles` (anywhere:
 * `File`s from `<input type=file webkitdirectory>` or a drop, or `{ name, bytes }`).
 */
import { Tensor } from '@genmodels/runtime';
import { joinPath } from '@genmodels/runtime/internal';
import { canListFolders, listTree } from '#walk';
import {
  DataBudgetError,
  DataReadError,
  EmptyDataError,
  formatBytes,
  ImageDecodeError,
  shownName,
} from './errors.js';
import {
  BadImage,
  decodeImage,
  imageFormat,
  type JpegDecoder,
  loadJpegDecoder,
  readImageHeader,
} from './image-decode.js';
import { resizeInto } from './image-resize.js';
import { comparePaths, isHidden, normalizeRel } from './paths.js';
import { contentOf, isNamed, type NamedData, readPath } from './source.js';

/** Default memory budget of the decoded set (the returned tensor): 2 GiB. */
export const DEFAULT_IMAGE_MEMORY_BYTES = 2 * 1024 ** 3;
/** Default cap on one image file's size: 256 MiB. */
export const DEFAULT_IMAGE_FILE_BYTES = 256 * 1024 ** 2;
/** Default cap on one image's pixels (width x height), checked before decoding: 64 megapixels. */
export const DEFAULT_MAX_IMAGE_PIXELS = 64_000_000;

/** File names (case-insensitive) read as images; everything else is ignored and listed in `ignored`. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** Options of {@link readImageFolder} and {@link readImageFiles}. */
export interface ImageReadOptions {
  /** Side of the square output images, 1..8192: each image is resized (shorter side to `size`) and center-cropped. */
  size: number;
  /** 1 (gray) or 3 (RGB). Default: 1 when every image is gray (PNG gray / gray+alpha, 1-component JPEG), else 3. */
  channels?: 1 | 3;
  /**
   * `'folders'`: the first-level subfolder of each image is its class (ImageFolder: sorted
   * class names get 0..K-1); `'none'`: no labels. Default: `'folders'` when any image is in
   * a subfolder, else `'none'`.
   */
  labels?: 'folders' | 'none';
  /** Skip files that cannot be read or decoded (listed in `skipped`) instead of failing on the first. Default false. */
  skipUndecodable?: boolean;
  /** Keep `limit` images spread evenly over the sorted list (every class keeps its share), deterministically. */
  limit?: number;
  /** Refuse, before decoding, a result over this many bytes (N x C x size x size x 4). Default 2 GiB. */
  maxMemoryBytes?: number;
  /** Refuse an image file over this many bytes. Default 256 MiB. */
  maxFileBytes?: number;
  /** Refuse an image over this many pixels (read from its header, before decoding). Default 64,000,000. */
  maxImagePixels?: number;
  /** Gray level in [0, 1] that transparent pixels are composited over. Default 0 (black). */
  background?: number;
  /** `readImageFolder` only: refuse a folder tree with more entries than this. Default 1,000,000. */
  maxEntries?: number;
}

/** What the image readers return. */
export interface ImageFolderData {
  /** float32 [N, C, size, size], values in [0, 1], in `files` order. */
  images: Tensor<'float32'>;
  /** int64 [N] class indices into `classes`; null with `labels: 'none'`. */
  labels: Tensor<'int64'> | null;
  /** Sorted class names (first-level subfolders holding images); [] with `labels: 'none'`. */
  classes: string[];
  /** The images' paths relative to the folder (`/`-separated), sorted, as in the tensor. */
  files: string[];
  /** C of `images`. */
  channels: 1 | 3;
  /** Files skipped with `skipUndecodable` (in order), and why; `skipped.length` is the count. */
  skipped: { file: string; reason: string }[];
  /** Files that are not PNG/JPEG by name (e.g. `notes.txt`), not read. */
  ignored: string[];
}

/** An image for {@link readImageFiles}: a `File` (its `webkitRelativePath`, else its name) or `{ name, bytes }` with a relative path. */
export type ImageEntry = File | NamedData;

/** One image to read: a relative path, a full name for messages, and how to get the bytes. */
interface LazyEntry {
  rel: string;
  shown: string;
  read: () => Promise<Uint8Array>;
}

const MAX_SIZE = 8192;
/** Files read ahead of the decoder. */
const READ_AHEAD = 8;

function isImageName(rel: string): boolean {
  const lower = rel.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

function checkOptions(fn: string, o: ImageReadOptions) {
  const fail = (why: string) => new DataReadError(`${fn}: ${why}`);
  if (typeof o !== 'object' || o === null) throw fail('options { size } are required');
  if (!Number.isInteger(o.size) || o.size < 1 || o.size > MAX_SIZE)
    throw fail(`option \`size\` must be an integer in 1..${MAX_SIZE}, got ${String(o.size)}`);
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3)
    throw fail(`option \`channels\` must be 1 or 3, got ${String(o.channels)}`);
  if (o.labels !== undefined && o.labels !== 'folders' && o.labels !== 'none')
    throw fail(`option \`labels\` must be 'folders' or 'none', got ${String(o.labels)}`);
  for (const k of [
    'limit',
    'maxMemoryBytes',
    'maxFileBytes',
    'maxImagePixels',
    'maxEntries',
  ] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0))
      throw fail(`option \`${k}\` must be a positive integer, got ${String(v)}`);
  }
  const bg = o.background ?? 0;
  if (!(bg >= 0 && bg <= 1))
    throw fail(`option \`background\` must be in [0, 1], got ${String(bg)}`);
  return {
    size: o.size,
    background: bg,
    skip: o.skipUndecodable === true,
    budget: o.maxMemoryBytes ?? DEFAULT_IMAGE_MEMORY_BYTES,
    maxFileBytes: o.maxFileBytes ?? DEFAULT_IMAGE_FILE_BYTES,
    maxPixels: o.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS,
  };
}

/** Refuse a set whose tensor would be over `budget` bytes, naming the estimate and the options that lower it. */
function checkBudget(
  fn: string,
  where: string,
  file: string | undefined,
  n: number,
  c: number,
  size: number,
  budget: number,
  channelsKnown: boolean,
): void {
  const bytes = n * c * size * size * 4;
  if (bytes <= budget) return;
  const fitN = Math.floor(budget / (c * size * size * 4));
  const fitSize = Math.floor(Math.sqrt(budget / (n * c * 4)));
  const tips = [
    fitSize >= 1 ? `lower \`size\` (${fitSize} fits)` : undefined,
    fitN >= 1
      ? `read a subset with \`limit\` (${fitN} image${fitN === 1 ? '' : 's'} fit${fitN === 1 ? 's' : ''})`
      : undefined,
    c === 3 ? 'force `channels: 1`' : undefined,
    'or raise `maxMemoryBytes`',
  ].filter(Boolean);
  throw new DataBudgetError(
    `${fn}: ${where}: ${n} images at ${c}x${size}x${size} float32 need ${channelsKnown ? '' : 'at least '}${formatBytes(bytes)} (${n} x ${c} x ${size} x ${size} x 4 bytes), over the memory budget of ${formatBytes(budget)} (option \`maxMemoryBytes\`); ${tips.join(', ')}`,
    file,
  );
}

type ReadResult = { bytes: Uint8Array } | { error: Error };

/** Read `list` in order, READ_AHEAD at a time, handing each result to `use` in order. */
async function eachRead(
  list: LazyEntry[],
  use: (i: number, r: ReadResult) => void | Promise<void>,
): Promise<void> {
  const start = (e: LazyEntry): Promise<ReadResult> =>
    e.read().then(
      (bytes) => ({ bytes }),
      (error: Error) => ({ error }),
    );
  const pending: (Promise<ReadResult> | undefined)[] = [];
  for (let i = 0; i < Math.min(READ_AHEAD, list.length); i++) pending[i] = start(list[i]);
  for (let i = 0; i < list.length; i++) {
    const r = await (pending[i] as Promise<ReadResult>);
    pending[i] = undefined;
    if (i + READ_AHEAD < list.length) pending[i + READ_AHEAD] = start(list[i + READ_AHEAD]);
    await use(i, r);
  }
}

/** The core of both readers: `entries` are every file of the set (images and others). */
async function readImageSet(
  fn: string,
  root: string | undefined,
  entries: LazyEntry[],
  options: ImageReadOptions,
): Promise<ImageFolderData> {
  const o = checkOptions(fn, options);
  const where = root === undefined ? `the ${entries.length} given files` : `'${shownName(root)}'`;
  const all = entries.filter((e) => isImageName(e.rel));
  const ignored = entries
    .filter((e) => !isImageName(e.rel))
    .map((e) => e.rel)
    .sort(comparePaths);
  all.sort((a, b) => comparePaths(a.rel, b.rel));
  if (all.length === 0) {
    const others = ignored.length
      ? ` (${ignored.length} other file${ignored.length === 1 ? '' : 's'} ignored, e.g. '${shownName(ignored[0])}')`
      : '';
    throw new EmptyDataError(
      `${fn}: ${where} has no PNG or JPEG images (${IMAGE_EXTENSIONS.join(', ')})${others}`,
      root,
    );
  }
  const mode = options.labels ?? (all.some((e) => e.rel.includes('/')) ? 'folders' : 'none');
  let classes: string[] = [];
  if (mode === 'folders') {
    const top = all.find((e) => !e.rel.includes('/'));
    if (top)
      throw new DataReadError(
        `${fn}: '${shownName(top.shown)}' is at the top level of ${where}, but labels come from class subfolders; move every image into a folder named after its class, or pass labels: 'none'`,
        top.shown,
      );
    classes = [...new Set(all.map((e) => e.rel.slice(0, e.rel.indexOf('/'))))].sort();
  }
  // A deterministic subset spread evenly over the sorted list.
  let picked = all;
  if (options.limit !== undefined && options.limit < all.length) {
    const m = options.limit;
    picked = Array.from({ length: m }, (_, i) => all[Math.floor((i * all.length) / m)]);
  }
  const { size } = o;
  checkBudget(
    fn,
    where,
    root,
    picked.length,
    options.channels ?? 1,
    size,
    o.budget,
    options.channels !== undefined,
  );

  const skipped: { file: string; reason: string }[] = [];
  const fail = (e: LazyEntry, err: Error): void => {
    const reason = err instanceof BadImage ? err.message : err.message.replace(/^[\w.]+: /, '');
    if (!o.skip) {
      if (err instanceof DataReadError) throw err;
      throw new ImageDecodeError(
        `${fn}: '${shownName(e.shown)}': ${reason}; fix or remove the file, or pass skipUndecodable: true to skip such files`,
        e.shown,
      );
    }
    skipped.push({ file: e.rel, reason });
  };

  // Pass 1 (only when the data decides the channels): headers, without decoding pixels.
  let list = picked;
  let channels = options.channels;
  if (channels === undefined) {
    const ok: LazyEntry[] = [];
    let allGray = true;
    await eachRead(picked, (i, r) => {
      const e = picked[i];
      if ('error' in r) return fail(e, r.error);
      try {
        allGray &&= readImageHeader(r.bytes).gray;
        ok.push(e);
      } catch (err) {
        fail(e, err as Error);
      }
    });
    list = ok;
    channels = allGray ? 1 : 3;
    if (list.length > 0) checkBudget(fn, where, root, list.length, channels, size, o.budget, true);
  }

  // Pass 2: decode, resize and crop each image into its slot.
  const per = channels * size * size;
  let data: Float32Array;
  try {
    data = new Float32Array(list.length * per);
  } catch {
    throw new DataBudgetError(
      `${fn}: ${where}: cannot allocate ${formatBytes(list.length * per * 4)} for ${list.length} images; lower \`size\` or pass \`limit\``,
      root,
    );
  }
  const kept: LazyEntry[] = [];
  const target = { size, channels, background: o.background };
  let jpeg: JpegDecoder | undefined;
  await eachRead(list, async (i, r) => {
    const e = list[i];
    if ('error' in r) return fail(e, r.error);
    try {
      if (!jpeg && imageFormat(r.bytes) === 'jpeg') jpeg = await loadJpegDecoder();
      resizeInto(decodeImage(r.bytes, o.maxPixels, jpeg), target, data, kept.length * per);
      kept.push(e);
    } catch (err) {
      fail(e, err as Error);
    }
  });
  if (kept.length === 0)
    throw new EmptyDataError(
      `${fn}: ${where}: none of its ${picked.length} images could be read (first: '${shownName(skipped[0]?.file ?? '')}': ${skipped[0]?.reason ?? ''})`,
      root,
    );
  if (kept.length < list.length) data = data.slice(0, kept.length * per);
  skipped.sort((a, b) => comparePaths(a.file, b.file));
  let labels: Tensor<'int64'> | null = null;
  if (mode === 'folders') {
    const index = new Map(classes.map((c, i) => [c, BigInt(i)]));
    const ids = new BigInt64Array(kept.length);
    kept.forEach((e, i) => {
      ids[i] = index.get(e.rel.slice(0, e.rel.indexOf('/'))) ?? -1n;
    });
    labels = new Tensor('int64', [kept.length], ids);
  }
  return {
    images: new Tensor('float32', [kept.length, channels, size, size], data),
    labels,
    classes,
    files: kept.map((e) => e.rel),
    channels,
    skipped,
    ignored,
  };
}

/**
 * Read a folder of PNG and JPEG images (recursively) into one float32 tensor
 * `[N, C, size, size]` in [0, 1], with class labels from the first-level subfolders
 * (ImageFolder convention: `root/cat/001.png` is class `cat`; sorted class names get
 * 0..K-1). Node.js only (in a browser use {@link readImageFiles}).
 *
 * - Images: PNG (1..16-bit gray, gray+alpha, RGB, RGBA, palette) and JPEG (baseline,
 *   progressive; gray, color, CMYK), recognized by the names `.png`, `.jpg`, `.jpeg`
 *   (any case) and decoded by their content. Other files are ignored and listed in
 *   `ignored`; names starting with '.' (hidden files, macOS `._*`) and links to folders
 *   are not read.
 * - Each image is resized so its shorter side is `size` (area averaging when shrinking,
 *   bilinear when enlarging) and center-cropped to `size` x `size`. Alpha is composited
 *   over `background` (default black). `channels` defaults to 1 when every image is gray,
 *   else 3 (gray images repeated into RGB; forced `channels: 1` takes BT.601 luma).
 * - Order: paths sorted segment by segment (deterministic on every platform).
 * - Before decoding, the result's size N x C x size x size x 4 bytes is checked against
 *   `maxMemoryBytes` (default 2 GiB); over it is a DataBudgetError naming the estimate and
 *   the options (`size`, `limit`, `channels`, `maxMemoryBytes`).
 * - A file that cannot be read or decoded is an ImageDecodeError (or DataReadError)
 *   naming it; with `skipUndecodable: true` it is skipped and listed in `skipped`. No
 *   images at all is an EmptyDataError. Files are opened only if regular (a FIFO or device
 *   is refused by name), each under `maxFileBytes`, each image under `maxImagePixels`.
 *
 * @example
 * const { images, labels, classes } = await readImageFolder('data/pets', { size: 32 });
 * // images: float32 [N, 3, 32, 32] in [0, 1]; labels: int64 [N]; classes: ['cat', 'dog']
 * const loader = new DataLoader({ x: images, y: labels! }, { batchSize: 64, shuffle: true, seed: 0 });
 */
export async function readImageFolder(
  path: string,
  options: ImageReadOptions,
): Promise<ImageFolderData> {
  const fn = 'readImageFolder';
  if (typeof path !== 'string' || path === '')
    throw new DataReadError(
      `${fn}: expected the path of a folder, got ${typeof path === 'string' ? "''" : typeof path}`,
    );
  if (!canListFolders)
    throw new DataReadError(
      `${fn}: listing a folder needs Node.js; in a browser pass the files to readImageFiles (e.g. from <input type=file webkitdirectory> or a drop)`,
      path,
    );
  checkOptions(fn, options);
  const where = `'${shownName(path)}'`;
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_IMAGE_FILE_BYTES;
  const tree = await listTree(path, { fn, maxEntries: options.maxEntries ?? 1_000_000 });
  if (tree.kind === 'missing') throw new DataReadError(`${fn}: no folder at ${where}`, path);
  if (tree.kind === 'file')
    throw new DataReadError(
      `${fn}: ${where} is a file; pass the folder that holds the images (or the file to readImageFiles)`,
      path,
    );
  if (tree.kind === 'other')
    throw new DataReadError(`${fn}: ${where} is ${tree.what}, not a folder`, path);
  const entries = tree.files.map((rel): LazyEntry => {
    const full = joinPath(path, rel);
    return { rel, shown: full, read: () => readPath(full, fn, maxFileBytes) };
  });
  return readImageSet(fn, path, entries, options);
}

/** The path an image entry stands for, relative to the dataset's root. */
function entryPath(e: ImageEntry): string {
  const rel = (e as File).webkitRelativePath;
  // <input webkitdirectory> gives 'picked-folder/cat/001.png': the picked folder is the root.
  if (typeof rel === 'string' && rel !== '') return normalizeRel(rel).split('/').slice(1).join('/');
  return normalizeRel(e.name);
}

/**
 * {@link readImageFolder} for images already at hand, in browsers and Node.js: `File`s
 * (from `<input type=file webkitdirectory>`: the picked folder is the root, so its
 * subfolders are the classes; from a plain `<input type=file multiple>`: no folders, no
 * labels) or `{ name, bytes }` entries whose `name` is the path relative to the root
 * (`cat/001.png`), with `bytes` a Uint8Array, ArrayBuffer or Blob. Same options, checks,
 * order and result (paths in `files`); each entry is read only when needed.
 *
 * @example
 * // <input type="file" webkitdirectory> picked a folder with cat/ and dog/ inside
 * const { images, labels, classes } = await readImageFiles([...input.files], { size: 32 });
 * // Node.js or tests: entries built by hand
 * const set = await readImageFiles([{ name: 'cat/a.png', bytes: pngBytes }], { size: 16, channels: 3 });
 */
export async function readImageFiles(
  entries: readonly ImageEntry[],
  options: ImageReadOptions,
): Promise<ImageFolderData> {
  const fn = 'readImageFiles';
  if (!Array.isArray(entries))
    throw new DataReadError(
      `${fn}: expected an array of File or { name, bytes } entries, got ${typeof entries}`,
    );
  checkOptions(fn, options);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_IMAGE_FILE_BYTES;
  const list = entries
    .map((e, i): LazyEntry => {
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string')
        throw new DataReadError(`${fn}: entry ${i} is not a File or { name, bytes }`);
      const rel = entryPath(e);
      const content = isNamed(e) ? e.bytes : e;
      return { rel, shown: rel, read: () => contentOf(content, rel, fn, maxFileBytes) };
    })
    .filter((e) => e.rel !== '' && !isHidden(e.rel));
  return readImageSet(fn, undefined, list, options);
}
