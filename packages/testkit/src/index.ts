/**
 * Test helpers shared by the genmodels packages (a private workspace package, never
 * published).
 */
export type { Browser, LaunchOptions, Page } from './browser.js';
export {
  CHROMIUM_PATH,
  chromiumAvailable,
  hasWebGpuAdapter,
  launchChromium,
  PAGE_TIMEOUT_MS,
  pageErrors,
  WEBGPU_FLAGS,
} from './browser.js';
export type { BrowserBundle, BrowserBundleOptions, ExternalImport } from './bundle.js';
export { bundleForBrowser, externalImports, isNodeBuiltin } from './bundle.js';
export type { ServeOptions, StaticServer } from './serve.js';
export { serveStatic } from './serve.js';
