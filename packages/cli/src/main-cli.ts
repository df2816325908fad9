/**
 * Run the CLI from source without a build:
 * `pnpm genmodels train vae` (root script: `tsx --conditions=source packages/cli/src/main-cli.ts`).
 */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
