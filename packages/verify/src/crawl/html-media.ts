import { appendAll } from '@staydown/core';
import { type DefaultTreeAdapterTypes, parse } from 'parse5';

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;

/** File name endings that make an `<a href>` a candidate image link. */
const IMAGE_LINK_RE = /\.(jpe?g|png|gif|webp|avif|bmp|tiff?|heic|heif)$/i;

/** Meta tags that name a page's representative image (Open Graph, Twitter cards). */
const META_IMAGE_KEYS = new Set([
  'og:image',
  'og:image:url',
  'og:image:secure_url',
  'twitter:image',
  'twitter:image:src',
]);

/**
 * Splits a `srcset` into its candidate URLs (all of them, descriptors dropped), following the
 * HTML spec's tokenising: URLs run to whitespace, a URL ending in commas ends the candidate,
 * descriptors run to the next comma outside parentheses.
 */
export function parseSrcset(srcset: string): string[] {
  const urls: string[] = [];
  let i = 0;
  const n = srcset.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';
  while (i < n) {
    while (i < n && (isSpace(srcset[i]) || srcset[i] === ',')) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(srcset[i])) i++;
    let url = srcset.slice(start, i);
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      let depth = 0;
      while (i < n) {
        const c = srcset[i];
        if (c === '(') depth++;
        else if (c === ')') depth = Math.max(0, depth - 1);
        else if (c === ',' && depth === 0) break;
        i++;
      }
    }
    if (url !== '') urls.push(url);
  }
  return urls;
}

function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

function* walk(node: Node): Generator<Element> {
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const current = stack.pop() as Node;
    if ('tagName' in current) yield current;
    const children: Node[] = [];
    if ('childNodes' in current) appendAll(children, current.childNodes as Iterable<Node>);
    // <template> content is a separate fragment.
    if ('content' in current && current.content) children.push(current.content as Node);
    for (let k = children.length - 1; k >= 0; k--) stack.push(children[k]);
  }
}

/**
 * Candidate media of an HTML page, resolved against the page URL (or its `<base href>`),
 * http(s) only, de-duplicated, in priority order: page-level images (og:image, twitter:image,
 * image_src), then `<img>`/`<source>` (src, srcset, lazy-loading data-src/data-srcset),
 * video posters, then links to image files.
 */
export function extractMediaCandidates(html: string, pageUrl: string): string[] {
  const document = parse(html);
  let base = pageUrl;
  const meta: string[] = [];
  const images: string[] = [];
  const posters: string[] = [];
  const links: string[] = [];
  let sawBase = false;
  for (const el of walk(document)) {
    switch (el.tagName) {
      case 'base': {
        const href = attr(el, 'href');
        if (!sawBase && href) {
          sawBase = true;
          try {
            base = new URL(href, pageUrl).href;
          } catch {
            // An invalid <base> is ignored, as browsers do.
          }
        }
        break;
      }
      case 'meta': {
        const key = (attr(el, 'property') ?? attr(el, 'name') ?? '').trim().toLowerCase();
        const content = attr(el, 'content');
        if (META_IMAGE_KEYS.has(key) && content) meta.push(content);
        break;
      }
      case 'link': {
        const rel = (attr(el, 'rel') ?? '').toLowerCase().split(/\s+/);
        const href = attr(el, 'href');
        if (rel.includes('image_src') && href) meta.push(href);
        break;
      }
      case 'img':
      case 'source': {
        for (const name of ['src', 'data-src']) {
          const value = attr(el, name);
          if (value) images.push(value);
        }
        for (const name of ['srcset', 'data-srcset']) {
          const value = attr(el, name);
          if (value) appendAll(images, parseSrcset(value));
        }
        break;
      }
      case 'video': {
        const poster = attr(el, 'poster');
        if (poster) posters.push(poster);
        break;
      }
      case 'a': {
        const href = attr(el, 'href');
        if (href) links.push(href);
        break;
      }
    }
  }
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (raw: string, onlyImageFiles: boolean) => {
    let resolved: URL;
    try {
      resolved = new URL(raw.trim(), base);
    } catch {
      return;
    }
    if (resolved.protocol !== 'http:' && resolved.protocol !== 'https:') return;
    if (onlyImageFiles && !IMAGE_LINK_RE.test(resolved.pathname)) return;
    resolved.hash = '';
    if (!seen.has(resolved.href)) {
      seen.add(resolved.href);
      out.push(resolved.href);
    }
  };
  for (const raw of meta) add(raw, false);
  for (const raw of images) add(raw, false);
  for (const raw of posters) add(raw, false);
  for (const raw of links) add(raw, true);
  return out;
}
