/** A PixelCNN model family on the runtime's GenerativeModel: the worked example of docs/architecture.md. */
export { type PixelCnnConfig, PixelCnnError, resolveConfig } from './config.js';
export { bars } from './data.js';
export { causalMask, MaskedConv2d, PixelCnnNetwork } from './network.js';
export { PixelCNN, pixelCnnStore } from './pixelcnn.js';
