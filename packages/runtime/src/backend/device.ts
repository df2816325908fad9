/** Execution devices: 'cpu' and 'cuda' on Node.js, 'wasm' in browsers, 'webgpu' on both. */
export type Device = 'cpu' | 'cuda' | 'webgpu' | 'wasm';
