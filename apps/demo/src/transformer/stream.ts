/** Generation streamed to the page piece by piece (worker side; both GPT modes). */
import type { GPT } from '@genmodels/transformer';
import type { GenerateArgs, GptView } from './views.js';

/** Generate from `a.prompt`, emitting the prompt, then each new piece of text, then done. */
export async function streamGeneration(
  gpt: GPT,
  a: GenerateArgs,
  emit: (v: GptView) => void,
): Promise<void> {
  emit({ kind: 'stream', start: true, text: a.prompt });
  await gpt.generate({
    prompt: a.prompt,
    tokens: a.tokens,
    temperature: a.temperature,
    seed: Math.floor(Math.random() * 1e9),
    onText: (text) => emit({ kind: 'stream', text }),
  });
  emit({ kind: 'stream', text: '', done: true });
}
