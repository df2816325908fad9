import { existsSync } from 'node:fs';

/** Debian chromium's SwiftShader Vulkan driver: WebGPU on machines without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Whether WebGPU tests can run here. Points the Vulkan loader at SwiftShader when
 * no driver was chosen. In CI a missing driver is a failure, not a skip.
 */
export function webgpuAvailable(): boolean {
  if (process.env.VK_ICD_FILENAMES) return true;
  if (existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return true;
  }
  if (process.env.CI)
    throw new Error(`WebGPU tests need ${SWIFTSHADER_ICD}: apt-get install -y libvulkan1 chromium`);
  return false;
}
