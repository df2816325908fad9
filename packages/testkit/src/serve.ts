/**
 * A tiny static file server for browser tests (node:http, no dependencies), optionally
 * cross-origin isolated so that pages get `crossOriginIsolated === true`, hence
 * SharedArrayBuffer and onnxruntime-web's WASM threads.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.gz': 'application/gzip',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Options of {@link serveStatic}. */
export interface ServeOptions {
  /** Send COOP `same-origin` + COEP `require-corp` (default true). */
  isolated?: boolean;
}

/** A running {@link serveStatic} server. */
export interface StaticServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serve the files under `dir` on 127.0.0.1 (a secure context, so WebGPU is exposed) at a
 * free port; `/` and directories serve their index.html. Unknown paths get 404.
 *
 * @example
 * const server = await serveStatic(outdir, { isolated: true });
 * await page.goto(`${server.url}/index.html`);
 * await server.close();
 */
export async function serveStatic(
  dir: string,
  { isolated = true }: ServeOptions = {},
): Promise<StaticServer> {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
    if (isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    let file = join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    const info = await stat(file).catch(() => null);
    if (info?.isDirectory()) file = join(file, 'index.html');
    const found = info?.isDirectory() ? await stat(file).catch(() => null) : info;
    if (!found?.isFile()) {
      res.writeHead(404, headers).end(`not found: ${req.url}`);
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      'Content-Length': String(found.size),
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok, fail) => {
        server.closeAllConnections();
        server.close((e) => (e ? fail(e) : ok()));
      }),
  };
}
