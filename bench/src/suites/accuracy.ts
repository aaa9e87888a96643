import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { getSignal, hexHammingDistance } from '@staydown/core';
import { hashImage, type ImageHashes, type PdqPipeline } from '@staydown/hashing';
import { conformanceDir } from '@staydown/test';
import sharp, { type Metadata, type Sharp } from 'sharp';
import type { BenchContext, Suite, SuiteResult } from '../harness.js';
import { median, percentile } from '../harness.js';
import { esc } from '../report-html.js';

/**
 * How well each hash survives the edits people make to evade matching (or that platforms
 * make anyway), and how often different photos collide. This is how users choose thresholds.
 */

interface Edit {
  name: string;
  /** Flips and rotations: also scored with PDQ's dihedral variants. */
  geometric?: boolean;
  apply(input: Buffer, meta: { width: number; height: number }): Promise<Buffer>;
}

const jpeg = (s: Sharp, quality = 95) => s.jpeg({ quality }).toBuffer();
const open = (b: Buffer) => sharp(b, { failOn: 'none' });

export const EDITS: Edit[] = [
  { name: 'downscale 50%', apply: (b, m) => jpeg(open(b).resize(Math.max(1, Math.round(m.width / 2)))) },
  { name: 'downscale 25%', apply: (b, m) => jpeg(open(b).resize(Math.max(1, Math.round(m.width / 4)))) },
  { name: 'jpeg q90', apply: (b) => jpeg(open(b), 90) },
  { name: 'jpeg q50', apply: (b) => jpeg(open(b), 50) },
  { name: 'jpeg q20', apply: (b) => jpeg(open(b), 20) },
  { name: 'crop 5%', apply: (b, m) => jpeg(open(b).extract(cropBox(m, 0.05))) },
  { name: 'crop 15%', apply: (b, m) => jpeg(open(b).extract(cropBox(m, 0.15))) },
  { name: 'grayscale', apply: (b) => jpeg(open(b).grayscale()) },
  { name: 'brightness +20%', apply: (b) => jpeg(open(b).modulate({ brightness: 1.2 })) },
  { name: 'brightness -20%', apply: (b) => jpeg(open(b).modulate({ brightness: 0.8 })) },
  { name: 'text watermark', apply: (b, m) => jpeg(open(b).composite([{ input: watermark(m), gravity: 'southeast' }])) },
  {
    name: '1-pixel border',
    apply: (b) => jpeg(open(b).extend({ top: 1, bottom: 1, left: 1, right: 1, background: '#000' })),
  },
  { name: 'horizontal flip', geometric: true, apply: (b) => jpeg(open(b).flop()) },
  { name: 'rotate 90°', geometric: true, apply: (b) => jpeg(open(b).rotate(90)) },
];

/** Removes `fraction` of each side's length in total, half from each edge (a centred crop). */
function cropBox(m: { width: number; height: number }, fraction: number) {
  const dx = Math.floor((m.width * fraction) / 2);
  const dy = Math.floor((m.height * fraction) / 2);
  return { left: dx, top: dy, width: Math.max(1, m.width - 2 * dx), height: Math.max(1, m.height - 2 * dy) };
}

/** A semi-transparent caption across the lower part of the image, sized to it. */
function watermark(m: { width: number; height: number }): Buffer {
  const w = Math.max(16, Math.round(m.width * 0.6));
  const h = Math.max(8, Math.round(m.height * 0.12));
  const size = Math.max(6, Math.round(h * 0.7));
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><text x="${w - 4}" y="${h - Math.round(h * 0.2)}" font-family="sans-serif" font-size="${size}" font-weight="bold" text-anchor="end" fill="white" fill-opacity="0.7" stroke="black" stroke-opacity="0.5">© reposted @example</text></svg>`,
  );
}

interface Scheme {
  name: string;
  signal: 'pdq' | 'blockhash';
  pipeline?: PdqPipeline;
}

const SCHEMES: Scheme[] = [
  { name: 'pdq reference', signal: 'pdq', pipeline: 'reference' },
  { name: 'pdq fullres', signal: 'pdq', pipeline: 'fullres' },
  { name: 'pdq fast', signal: 'pdq', pipeline: 'fast' },
  { name: 'blockhash', signal: 'blockhash' },
];

/**
 * Distinct photographs: one per subject. bridge-mods/, dih/ and misc-images/modes/ are all the
 * same bridge photo, so only aaa-orig.jpg stands for it.
 */
export function photoSources(quick: boolean): string[] {
  const files: string[] = [];
  const root = conformanceDir();
  const pdq = path.join(root, 'pdq', 'images');
  for (const f of [
    'bridge-mods/aaa-orig.jpg',
    'misc-images/c.png',
    'misc-images/small.jpg',
    'misc-images/wee.jpg',
    'reg-test-input/pen-and-coaster.png',
  ]) {
    files.push(path.join(pdq, f));
  }
  files.push(...listImages(path.join(pdq, 'reg-test-input', 'labelme-subset')));
  files.push(...listImages(path.join(root, 'blockhash')));
  if (!quick) {
    // Debian's wallpaper photos, when installed (apt-get install mate-backgrounds plasma-workspace-wallpapers).
    files.push(...listImages('/usr/share/backgrounds/mate', true).slice(0, 60));
    files.push(...listImages('/usr/share/wallpapers', true).slice(0, 60));
  }
  return files.filter((f) => existsSync(f));
}

function listImages(dir: string, recursive = false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (recursive && statSync(full).isDirectory()) out.push(...listImages(full, true));
    else if (/\.(jpe?g|png|webp)$/i.test(name)) out.push(full);
  }
  return out;
}

function distanceOf(scheme: Scheme, original: ImageHashes, edited: ImageHashes, dihedral: boolean): number {
  const a = original[scheme.signal]!;
  if (!dihedral || scheme.signal !== 'pdq' || !edited.pdqDihedral) return hexHammingDistance(a, edited[scheme.signal]!);
  // Matching with dihedral variants: the edited image's 8 variants are all queried.
  return Math.min(...Object.values(edited.pdqDihedral).map((v) => hexHammingDistance(a, v)));
}

async function hashAll(bytes: Buffer, dihedral: boolean): Promise<Map<string, ImageHashes>> {
  const out = new Map<string, ImageHashes>();
  for (const scheme of SCHEMES) {
    out.set(
      scheme.name,
      await hashImage(bytes, {
        signals: [scheme.signal],
        pdq: scheme.pipeline,
        dihedral: dihedral && scheme.signal === 'pdq',
      }),
    );
  }
  return out;
}

export interface AccuracyRow {
  scheme: string;
  edit: string;
  dihedral: boolean;
  threshold: number;
  recall: number;
  median: number;
  p90: number;
  max: number;
  n: number;
}

export async function measureAccuracy(ctx: BenchContext): Promise<{
  rows: AccuracyRow[];
  fpr: Map<string, { rate: number; pairs: number; minDistance: number }>;
  photos: number;
  lowQuality: number;
}> {
  const sources = photoSources(ctx.quick);
  const originals: Map<string, ImageHashes>[] = [];
  const distances = new Map<string, number[]>();
  const key = (scheme: string, edit: string, dih: boolean) => `${scheme}\u0000${edit}\u0000${dih}`;
  let lowQuality = 0;
  for (const [i, file] of sources.entries()) {
    let bytes = readFileSync(file);
    let base: Map<string, ImageHashes>;
    let meta: Metadata;
    try {
      meta = await sharp(bytes).metadata();
      // Transparent images: their hidden RGB under alpha=0 is arbitrary and every re-encode to
      // JPEG flattens it differently, so the original is the image flattened onto white.
      if (meta.hasAlpha) bytes = await sharp(bytes).flatten({ background: '#fff' }).png().toBuffer();
      base = await hashAll(bytes, false);
    } catch (error) {
      ctx.log(`accuracy: skipping ${file}: ${(error as Error).message}`);
      continue;
    }
    // Hashes below PDQ's quality cut-off are flagged and dropped by Meta's tools: they match
    // everything, so they say nothing about an edit's effect.
    if ((base.get('pdq reference')?.quality ?? 0) < 50) {
      lowQuality++;
      continue;
    }
    originals.push(base);
    for (const edit of EDITS) {
      const edited = await edit.apply(bytes, { width: meta.width ?? 1, height: meta.height ?? 1 });
      const hashes = await hashAll(edited, Boolean(edit.geometric));
      for (const scheme of SCHEMES) {
        for (const dih of edit.geometric && scheme.signal === 'pdq' ? [false, true] : [false]) {
          const k = key(scheme.name, edit.name, dih);
          const list = distances.get(k) ?? [];
          list.push(distanceOf(scheme, base.get(scheme.name)!, hashes.get(scheme.name)!, dih));
          distances.set(k, list);
        }
      }
    }
    if ((i + 1) % 10 === 0) ctx.log(`accuracy: ${i + 1}/${sources.length} photos`);
  }
  const rows: AccuracyRow[] = [];
  for (const scheme of SCHEMES) {
    const threshold = getSignal(scheme.signal).defaultThreshold;
    for (const edit of EDITS) {
      for (const dih of edit.geometric && scheme.signal === 'pdq' ? [false, true] : [false]) {
        const d = distances.get(key(scheme.name, edit.name, dih)) ?? [];
        rows.push({
          scheme: scheme.name,
          edit: edit.name,
          dihedral: dih,
          threshold,
          recall: d.filter((x) => x <= threshold).length / Math.max(1, d.length),
          median: median(d),
          p90: percentile(d, 90),
          max: Math.max(...d),
          n: d.length,
        });
      }
    }
  }
  const fpr = new Map<string, { rate: number; pairs: number; minDistance: number }>();
  for (const scheme of SCHEMES) {
    const threshold = getSignal(scheme.signal).defaultThreshold;
    let pairs = 0;
    let hits = 0;
    let minDistance = Number.POSITIVE_INFINITY;
    for (let a = 0; a < originals.length; a++) {
      for (let b = a + 1; b < originals.length; b++) {
        const d = hexHammingDistance(
          originals[a].get(scheme.name)![scheme.signal]!,
          originals[b].get(scheme.name)![scheme.signal]!,
        );
        pairs++;
        if (d <= threshold) hits++;
        minDistance = Math.min(minDistance, d);
      }
    }
    fpr.set(scheme.name, { rate: hits / Math.max(1, pairs), pairs, minDistance });
  }
  return { rows, fpr, photos: originals.length, lowQuality };
}

export function accuracyTable(rows: AccuracyRow[]): string[] {
  const lines = [
    `${'hash'.padEnd(14)} ${'edit'.padEnd(26)} ${'recall'.padStart(7)} ${'median'.padStart(7)} ${'p90'.padStart(5)} ${'max'.padStart(5)}`,
  ];
  for (const r of rows) {
    const edit = r.dihedral ? `${r.edit} (+dihedral)` : r.edit;
    lines.push(
      `${r.scheme.padEnd(14)} ${edit.padEnd(26)} ${`${(r.recall * 100).toFixed(0)}%`.padStart(7)} ${String(r.median).padStart(7)} ${String(r.p90).padStart(5)} ${String(r.max).padStart(5)}`,
    );
  }
  return lines;
}

function accuracyHtml(
  rows: AccuracyRow[],
  fpr: Map<string, { rate: number; pairs: number; minDistance: number }>,
  photos: number,
): string {
  const schemes = [...new Set(rows.map((r) => r.scheme))];
  const edits = [...new Set(rows.map((r) => (r.dihedral ? `${r.edit} (+dihedral)` : r.edit)))];
  const cell = (scheme: string, edit: string) => {
    const r = rows.find((x) => x.scheme === scheme && (x.dihedral ? `${x.edit} (+dihedral)` : x.edit) === edit);
    return r ? `${(r.recall * 100).toFixed(0)}% <small>(median ${r.median}, max ${r.max})</small>` : '–';
  };
  return `<h2>Accuracy: recall at the default threshold</h2>
<p>${photos} distinct photographs, each edited as below; recall is the share of edited copies within the signal's default threshold of the original (PDQ ${getSignal('pdq').defaultThreshold}, blockhash ${getSignal('blockhash').defaultThreshold} bits). "+dihedral" queries all eight PDQ dihedral variants of the edited image.</p>
<table><thead><tr><th>edit</th>${schemes.map((s) => `<th>${esc(s)}</th>`).join('')}</tr></thead><tbody>
${edits.map((e) => `<tr><td>${esc(e)}</td>${schemes.map((s) => `<td>${cell(s, e)}</td>`).join('')}</tr>`).join('\n')}
</tbody></table>
<h3>False positives between different photos</h3>
<table><thead><tr><th>hash</th><th>pairs</th><th>false-positive rate</th><th>closest pair (bits)</th></tr></thead><tbody>
${[...fpr].map(([s, f]) => `<tr><td>${esc(s)}</td><td>${f.pairs}</td><td>${(f.rate * 100).toFixed(2)}%</td><td>${f.minDistance}</td></tr>`).join('')}
</tbody></table>`;
}

export const accuracySuite: Suite = {
  name: 'accuracy',
  description: 'recall per hash and edit at the default threshold, and false positives between different photos',
  async run(ctx): Promise<SuiteResult> {
    const { rows, fpr, photos, lowQuality } = await measureAccuracy(ctx);
    const figures = [...fpr].flatMap(([scheme, f]) => [
      { name: `${scheme} false-positive rate (${f.pairs} pairs)`, value: f.rate * 100, unit: '%' },
      { name: `${scheme} closest pair of different photos`, value: f.minDistance, unit: 'bits' },
    ]);
    const ratios = SCHEMES.map((s) => {
      const mine = rows.filter((r) => r.scheme === s.name && !r.dihedral);
      return {
        name: `${s.name} mean recall over edits`,
        value: mine.reduce((a, r) => a + r.recall, 0) / Math.max(1, mine.length),
      };
    });
    const notes = [
      `${photos} photos × ${EDITS.length} edits (${lowQuality} left out: PDQ quality below 50); thresholds: PDQ ${getSignal('pdq').defaultThreshold}, blockhash ${getSignal('blockhash').defaultThreshold}`,
      ...accuracyTable(rows),
    ];
    return { figures, ratios, notes, html: [accuracyHtml(rows, fpr, photos)] };
  },
};
