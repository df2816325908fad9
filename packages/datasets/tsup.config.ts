import { packageBuildConfig } from '../../tsup.shared.js';

export default packageBuildConfig(['src/index.ts'], { web: true });
