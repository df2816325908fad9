/**
 * The GPT page's LoRA mode (page side): the mode switch, the checkpoint picker (drop zone,
 * file input, or the tiny demo checkpoint the app serves), the LoRA settings, validation
 * loss before and after, and the download links. The worker does the rest (finetune.ts).
 */
import { droppedFiles, onDrop } from '../shared/data-zone.js';
import { appUrl, el, type Page } from '../shared/page.js';
import { sortGpt2Files } from './gpt2-files.js';
import type { CorpusArgs, FinetuneArgs, GptView, LoraSettings } from './views.js';

const num = (id: string, value: string, attrs: Record<string, string> = {}) =>
  el('input', { id, type: 'number', value, ...attrs });

export class LoraPanel {
  readonly element: HTMLElement;
  #page: Page;
  #checkpoint?: Pick<FinetuneArgs, 'checkpoint' | 'origin'>;
  #box: HTMLElement;
  #message = el('p', { id: 'checkpoint-info', class: 'note' });
  #loss = el('p', { id: 'lora-loss' });
  #links = el('p', { id: 'lora-downloads', class: 'downloads' });
  #inputs = {
    rank: num('lora-rank', '8', { min: '1', max: '64', step: '1' }),
    // lora_alpha = 2r (scale 2) is common practice; alpha = r would halve the update.
    alpha: num('lora-alpha', '16', { min: '1', step: '1' }),
    steps: num('lora-steps', '100', { min: '1', max: '5000', step: '1' }),
    lr: num('lora-lr', '0.001', { min: '0.00001', max: '0.1', step: '0.0001' }),
  };

  constructor(page: Page) {
    this.#page = page;
    const modes = el(
      'fieldset',
      { class: 'controls modes' },
      el('legend', {}, 'Mode'),
      el(
        'label',
        {},
        el('input', {
          type: 'radio',
          autocomplete: 'off',
          name: 'mode',
          id: 'mode-char',
          value: 'char',
          checked: '',
        }),
        ' Train a character GPT from scratch',
      ),
      el(
        'label',
        {},
        el('input', {
          type: 'radio',
          autocomplete: 'off',
          name: 'mode',
          id: 'mode-lora',
          value: 'lora',
        }),
        ' Fine-tune a GPT-2 checkpoint (LoRA)',
      ),
    );
    modes.addEventListener('change', () => this.#setMode());
    const pick = el('input', {
      id: 'gpt2-files',
      type: 'file',
      multiple: '',
      accept: '.safetensors,.json,.txt',
    });
    pick.addEventListener('change', () => {
      this.#given([...(pick.files ?? [])], 'the picked files');
      pick.value = '';
    });
    const demo = el('button', { id: 'gpt2-demo', type: 'button' }, 'Use the tiny demo checkpoint');
    demo.addEventListener('click', () => {
      this.#use({
        checkpoint: { url: appUrl('gpt2-tiny/') },
        origin: 'the tiny demo checkpoint (gpt2-tiny)',
      });
    });
    const drop = el(
      'div',
      { class: 'drop', id: 'gpt2-drop' },
      'Drop a GPT-2 checkpoint here: model.safetensors, config.json, vocab.json, merges.txt (or their folder)',
    );
    onDrop(drop, (dt) => {
      void droppedFiles(dt).then((d) =>
        this.#given(
          d.files.map((f) => f.file),
          d.source,
        ),
      );
    });
    const exportButton = (what: 'merged' | 'adapter', label: string) => {
      const b = el('button', { id: `download-${what}`, type: 'button' }, label);
      b.addEventListener('click', () => page.action('export', what));
      return b;
    };
    this.#box = el(
      'div',
      { class: 'own-data', id: 'lora-box', hidden: '' },
      drop,
      el(
        'div',
        { class: 'controls' },
        el('label', { class: 'file' }, 'Checkpoint files ', pick),
        demo,
      ),
      this.#message,
      el(
        'div',
        { class: 'controls' },
        el('label', {}, 'LoRA rank ', this.#inputs.rank),
        el('label', {}, 'alpha ', this.#inputs.alpha),
        el('label', {}, 'steps ', this.#inputs.steps),
        el('label', {}, 'learning rate ', this.#inputs.lr),
      ),
      el(
        'p',
        { class: 'note' },
        'The settings apply to the next run: a checkpoint given, New model, or a text picked. Train runs the set steps (Stop pauses).',
      ),
      this.#loss,
      el(
        'div',
        { class: 'controls' },
        exportButton('merged', 'Download the merged model (GPT-2 files)'),
        exportButton('adapter', 'Download the LoRA adapter (PEFT files)'),
      ),
      this.#links,
    );
    this.element = el('div', {}, modes, this.#box);
  }

  /** Whether the LoRA mode is on. */
  get active(): boolean {
    return (document.getElementById('mode-lora') as HTMLInputElement | null)?.checked === true;
  }

  /** The 'create' extra of a run on the given checkpoint (undefined: none given yet, or the other mode). */
  args(text?: CorpusArgs): FinetuneArgs | undefined {
    if (!this.active || !this.#checkpoint) return undefined;
    const v = (i: HTMLInputElement, d: number) =>
      Number.isFinite(i.valueAsNumber) && i.valueAsNumber > 0 ? i.valueAsNumber : d;
    const lora: LoraSettings = {
      rank: Math.round(v(this.#inputs.rank, 8)),
      alpha: v(this.#inputs.alpha, 16),
      steps: Math.round(v(this.#inputs.steps, 100)),
      lr: v(this.#inputs.lr, 1e-3),
    };
    return { mode: 'lora', ...this.#checkpoint, lora, text };
  }

  /** Show a view of the LoRA mode; false for the views it does not handle. */
  show(v: GptView): boolean {
    if (v.kind === 'finetune') {
      this.#loss.dataset.before = String(v.before);
      if (v.after === undefined) delete this.#loss.dataset.after;
      else this.#loss.dataset.after = String(v.after);
      const after = v.after === undefined ? '' : ` · ${v.after.toFixed(3)} after ${v.step} steps`;
      this.#loss.textContent = `Validation loss: ${v.before.toFixed(3)} before fine-tuning${after} (of ${v.steps} steps)`;
      return true;
    }
    if (v.kind === 'files') {
      const links = v.files.map((f) => {
        const blob = new Blob([f.data as BlobPart], {
          type: typeof f.data === 'string' ? 'application/json' : 'application/octet-stream',
        });
        return el('a', { href: URL.createObjectURL(blob), download: f.name }, f.name);
      });
      const label =
        v.what === 'merged' ? 'Merged model (a GPT-2 directory): ' : 'LoRA adapter (PEFT): ';
      this.#links.replaceChildren(label, ...links.flatMap((a, i) => (i ? [' · ', a] : [a])));
      this.#links.dataset.what = v.what;
      return true;
    }
    return false;
  }

  #setMode(): void {
    const lora = this.active;
    this.#box.hidden = !lora;
    // The presets and the page's own checkpoints are the character GPT's.
    for (const id of ['preset', 'save', 'load'])
      document.getElementById(id)?.closest('label, button')?.toggleAttribute('hidden', lora);
    if (!lora) this.#page.create();
    else if (this.#checkpoint) this.#page.create();
    else
      this.#message.textContent =
        'Give a GPT-2 checkpoint, or use the tiny demo checkpoint, to fine-tune it.';
  }

  #given(files: File[], source: string): void {
    if (files.length === 0) return;
    try {
      const sorted = sortGpt2Files(files);
      const ignored = sorted.ignored.length ? ` (not needed: ${sorted.ignored.join(', ')})` : '';
      this.#use(
        { checkpoint: { files: Object.fromEntries(Object.entries(sorted.files)) }, origin: source },
        ignored,
      );
    } catch (e) {
      this.#message.textContent = '';
      this.#message.append(
        el('span', { class: 'error', id: 'checkpoint-error' }, (e as Error).message),
      );
    }
  }

  #use(c: Pick<FinetuneArgs, 'checkpoint' | 'origin'>, extra = ''): void {
    this.#checkpoint = c;
    this.#message.textContent = `Checkpoint: ${c.origin}${extra}`;
    this.#links.replaceChildren();
    this.#page.create();
  }
}
