/**
 * Test helpers shared by the genmodels packages (a private workspace package, never
 * published).
 */
export type { InstallCheckOptions } from './install.js';
export { installAndRun } from './install.js';
