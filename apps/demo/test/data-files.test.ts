/**
 * Sorting out what the user gave a page before the worker reads it (src/shared/data-files.ts):
 * the root folder and source name, images or points, and the messages for input a page
 * cannot use.
 */
import { describe, expect, it } from 'vitest';
import { dataRequest, relativeTo } from '../src/shared/data-files.js';
import type { DataFile, DataRequest, OwnDataSupport } from '../src/shared/protocol.js';

const files = (...paths: string[]): DataFile[] =>
  paths.map((path) => ({ path, file: new File(['x'], path.split('/').pop() ?? path) }));

const IMAGES_ONLY: OwnDataSupport = { images: true, points: 'the VAE page trains on images' };
const POINTS_ONLY: OwnDataSupport = { images: 'images on this page: coming', points: true };

const paths = (r: DataRequest | string) =>
  typeof r === 'string'
    ? r
    : { kind: r.kind, paths: r.files.map((f) => f.path), size: r.imageSize };

describe('relativeTo', () => {
  it('takes a picked or dropped folder as the root and names the source after it', () => {
    expect(relativeTo(['pets/cat/1.png', 'pets/dog/2.png'])).toEqual({
      paths: ['cat/1.png', 'dog/2.png'],
      source: 'pets',
    });
    expect(relativeTo(['/pets/a.png'])).toEqual({ paths: ['a.png'], source: 'pets' });
    expect(relativeTo(['points.csv'])).toEqual({ paths: ['points.csv'], source: 'points.csv' });
    expect(relativeTo(['a.png', 'b.png'])).toEqual({
      paths: ['a.png', 'b.png'],
      source: '2 files',
    });
    expect(relativeTo(['x/a.png', 'y/b.png']).source).toBe('2 files');
  });
});

describe('dataRequest', () => {
  it('images when any file is a PNG/JPEG (other files go along for the reader to list)', () => {
    expect(paths(dataRequest(files('a.PNG', 'b.jpeg', 'notes.txt'), 'f', IMAGES_ONLY, 16))).toEqual(
      { kind: 'images', paths: ['a.PNG', 'b.jpeg', 'notes.txt'], size: 16 },
    );
    // Hidden files (macOS ._ files, .DS_Store, dot folders) are never data.
    expect(
      paths(dataRequest(files('a.png', '._a.png', '.git/x.png'), 'f', IMAGES_ONLY, 28)),
    ).toEqual({ kind: 'images', paths: ['a.png'], size: 28 });
  });

  it('points from one table; several tables, or none, are named', () => {
    expect(paths(dataRequest(files('p.tsv'), 'p.tsv', POINTS_ONLY, 28))).toEqual({
      kind: 'points',
      paths: ['p.tsv'],
      size: undefined,
    });
    expect(dataRequest(files('a.csv', 'b.csv'), '2 files', POINTS_ONLY, 28)).toBe(
      "2 files: 2 tables ('a.csv', 'b.csv'); give one CSV/TSV file of points",
    );
    expect(dataRequest(files('a.bmp'), 'a.bmp', POINTS_ONLY, 28)).toMatch(
      /a\.bmp: no CSV\/TSV table \(\.csv, \.tsv, \.txt\) among 1 file \(e\.g\. 'a\.bmp'\)/,
    );
    // On an image page the reader says what it found instead.
    expect(paths(dataRequest(files('a.bmp'), 'a.bmp', IMAGES_ONLY, 28))).toMatchObject({
      kind: 'images',
    });
  });

  it("refuses a kind the page does not train on with the page's reason, and empty input", () => {
    expect(dataRequest(files('a.png'), 'a.png', POINTS_ONLY, 28)).toBe(
      'images on this page: coming',
    );
    expect(dataRequest(files('p.csv'), 'p.csv', IMAGES_ONLY, 28)).toBe(
      'the VAE page trains on images',
    );
    expect(dataRequest([], 'empty', IMAGES_ONLY, 28)).toMatch(/empty: no files/);
    expect(dataRequest(files('.DS_Store'), 'f', IMAGES_ONLY, 28)).toMatch(/only hidden files/);
  });
});
