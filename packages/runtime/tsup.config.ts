import { packageBuildConfig } from '../../tsup.shared.js';

// Three faces: the main one for model users, ./internal for package authors, ./testing for
// gradient and backend checks. ESM splitting shares one copy of each class between them.
export default packageBuildConfig(
  { index: 'src/index.ts', internal: 'src/internal.ts', testing: 'src/testing/index.ts' },
  { web: true },
);
