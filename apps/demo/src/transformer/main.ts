import '../shared/style.css';
import { createPage, el } from '../shared/page.js';
import { LoraPanel } from './lora-panel.js';
import type { CorpusArgs, GenerateArgs, GptView } from './views.js';

const sampleBox = el('pre', { id: 'sample', class: 'text-out' });
const sampleCaption = el(
  'p',
  { class: 'note' },
  'A sample appears here every few seconds while the model trains.',
);
const output = el('pre', { id: 'generated', class: 'text-out', 'data-done': 'false' });
const prompt = el('input', { id: 'prompt', type: 'text', value: 'In the first month', size: '32' });
const tokens = el('input', { id: 'tokens', type: 'number', value: '300', min: '1', max: '2000' });
const temperature = el('input', {
  id: 'temperature',
  type: 'number',
  value: '0.8',
  min: '0.1',
  max: '2',
  step: '0.1',
});
const generateButton = el(
  'button',
  { id: 'generate', type: 'button', class: 'primary' },
  'Generate',
);
const corpusInput = el('input', { id: 'corpus', type: 'file', accept: '.txt,text/plain' });
const corpusLine = el('p', { id: 'corpus-info', class: 'note' });

const page = createPage<GptView>({
  family: 'transformer',
  title: 'GPT: a character-level Transformer',
  blurb:
    'A decoder-only Transformer learns to predict the next character of a text. Train it on the built-in verses (or pick a .txt file of your own), then let it write: the text streams in one character at a time, each one sampled from the model. Or fine-tune a pretrained GPT-2 checkpoint on the text with LoRA, in the page.',
  createExtra: (): unknown => lora.args(),
  createWorker: () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' }),
  onError() {
    generateButton.disabled = false;
  },
  onView(v) {
    if (lora.show(v)) return;
    switch (v.kind) {
      case 'sample':
        sampleBox.textContent = v.text;
        sampleBox.dataset.drawn = String(Number(sampleBox.dataset.drawn ?? 0) + 1);
        sampleCaption.textContent = `At step ${v.step} (temperature 0.8):`;
        return;
      case 'stream':
        if (v.start) {
          output.textContent = '';
          output.dataset.done = 'false';
          output.append(el('strong', {}, v.text));
        } else output.append(v.text);
        if (v.done) {
          output.dataset.done = 'true';
          generateButton.disabled = false;
        }
        output.scrollTop = output.scrollHeight;
        return;
      case 'corpus':
        corpusLine.textContent =
          v.tokens === undefined
            ? `Training text: ${v.name}, ${v.characters.toLocaleString('en-US')} characters, ${v.vocabulary} distinct.`
            : `Training text: ${v.name}, ${v.characters.toLocaleString('en-US')} characters, ${v.tokens.toLocaleString('en-US')} tokens of the checkpoint's ${v.vocabulary}-token BPE.`;
        return;
    }
  },
});

const lora: LoraPanel = new LoraPanel(page);

page.panel('While training', sampleCaption, sampleBox);
page.panel(
  'Generate',
  el(
    'div',
    { class: 'controls' },
    el('label', {}, 'Prompt ', prompt),
    el('label', {}, 'Characters ', tokens),
    el('label', {}, 'Temperature ', temperature),
    generateButton,
  ),
  output,
);
page.controls.append(
  lora.element,
  el('label', {}, 'Train on your own text: ', corpusInput),
  corpusLine,
);

generateButton.addEventListener('click', () => {
  generateButton.disabled = true;
  const args: GenerateArgs = {
    prompt: prompt.value,
    tokens: Number(tokens.value) || 300,
    temperature: Number(temperature.value) || 0.8,
  };
  page.action('generate', args);
});

corpusInput.addEventListener('change', async () => {
  const file = corpusInput.files?.[0];
  corpusInput.value = '';
  if (!file) return;
  const args: CorpusArgs = { name: file.name, text: await file.text() };
  const run = lora.args(args);
  // LoRA: a fresh run from the checkpoint on this text (its loss before is on this text).
  if (run) return page.create(run);
  // A loaded model keeps its weights if the text has its characters; a fresh one starts over on it.
  if (page.info && page.info.origin !== 'a fresh preset') page.action('corpus', args);
  else page.create(args);
});
