/**
 * Static shapes with named dynamic dims. A dim is a number or a symbol such as
 * `'batch'`; two symbols are equal only when their names are.
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Normalize a possibly negative axis against a rank; returns -1 when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : -1;
}

/** NumPy/ONNX broadcasting; returns null when the shapes do not broadcast. */
export function broadcastShapes(...shapes: Shape[]): Dim[] | null {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const e = s[k];
      if (e === 1) continue;
      if (d === 1) d = e;
      else if (d !== e) return null;
    }
    out.push(d);
  }
  return out;
}

/**
 * Axes of `out` that were broadcast from `inp` (leading axes `inp` lacks, and
 * axes where `inp` has size 1 and `out` does not).
 */
export function broadcastAxes(inp: Shape, out: Shape): number[] {
  const lead = out.length - inp.length;
  const axes: number[] = [];
  for (let i = 0; i < out.length; i++) {
    if (i < lead || (inp[i - lead] === 1 && out[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Element count as a static factor times a sorted list of symbols. */
export function symbolicSize(shape: Shape): { factor: number; symbols: string[] } {
  let factor = 1;
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === 'number') factor *= d;
    else symbols.push(...d.split('*').filter((p) => !/^\d+$/.test(p)));
    if (typeof d === 'string')
      for (const p of d.split('*')) if (/^\d+$/.test(p)) factor *= Number(p);
  }
  return { factor, symbols: symbols.sort() };
}

/** The dim that makes `known` have as many elements as `total` (for a -1 entry), or null. */
export function inferDim(total: Shape, known: Shape): Dim | null {
  const t = symbolicSize(total);
  const k = symbolicSize(known);
  if (k.factor === 0 || t.factor % k.factor !== 0) return null;
  const rest = [...t.symbols];
  for (const s of k.symbols) {
    const i = rest.indexOf(s);
    if (i < 0) return null;
    rest.splice(i, 1);
  }
  const f = t.factor / k.factor;
  if (rest.length === 0) return f;
  return f === 1 ? rest.join('*') : [...rest, String(f)].join('*');
}
