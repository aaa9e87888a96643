import { describe, expect, it } from 'vitest';
import { extractMediaCandidates, parseSrcset } from './html-media.js';

describe('parseSrcset', () => {
  it('returns every candidate URL without descriptors', () => {
    expect(parseSrcset('a.jpg 1x, b.jpg 2x')).toEqual(['a.jpg', 'b.jpg']);
    expect(parseSrcset(' small.jpg 480w,\n large.jpg 1080w ')).toEqual(['small.jpg', 'large.jpg']);
    // As in the HTML spec, a URL runs to whitespace: a comma inside it does not split candidates.
    expect(parseSrcset('one.jpg,two.jpg 2x')).toEqual(['one.jpg,two.jpg']);
    expect(parseSrcset('one.jpg, two.jpg 2x')).toEqual(['one.jpg', 'two.jpg']);
    expect(parseSrcset('x.jpg 1x (a, b), y.jpg')).toEqual(['x.jpg', 'y.jpg']);
    expect(parseSrcset('img.jpg?a=1,2 2x, x.jpg')).toEqual(['img.jpg?a=1,2', 'x.jpg']);
    expect(parseSrcset('')).toEqual([]);
  });
});

describe('extractMediaCandidates', () => {
  const page = `<!doctype html><html><head>
    <meta property="og:image" content="/og.jpg">
    <meta name="twitter:image" content="https://cdn.example.test/tw.png">
    <title>t</title></head><body>
    <img src="a.jpg" srcset="a-480.jpg 480w, a-960.jpg 960w">
    <picture><source srcset="p.webp 1x, p2.webp 2x"><img src="p.jpg"></picture>
    <img data-src="lazy.jpg">
    <video poster="poster.png"></video>
    <a href="full/size.JPG">full</a>
    <a href="/about.html">about</a>
    <a href="javascript:alert(1)">x</a>
    <img src="data:image/png;base64,AAAA">
    <img src="a.jpg#dup">
  </body></html>`;

  it('finds all candidate media in priority order, resolved and de-duplicated', () => {
    expect(extractMediaCandidates(page, 'http://site.test/dir/page.html')).toEqual([
      'http://site.test/og.jpg',
      'https://cdn.example.test/tw.png',
      'http://site.test/dir/a.jpg',
      'http://site.test/dir/a-480.jpg',
      'http://site.test/dir/a-960.jpg',
      'http://site.test/dir/p.webp',
      'http://site.test/dir/p2.webp',
      'http://site.test/dir/p.jpg',
      'http://site.test/dir/lazy.jpg',
      'http://site.test/dir/poster.png',
      'http://site.test/dir/full/size.JPG',
    ]);
  });

  it('honours <base href>', () => {
    const html = '<html><head><base href="http://other.test/x/"></head><body><img src="y.jpg"></body></html>';
    expect(extractMediaCandidates(html, 'http://site.test/')).toEqual(['http://other.test/x/y.jpg']);
  });

  it('survives malformed markup', () => {
    expect(extractMediaCandidates('<img src=broken.jpg <p><<img src="b.png"', 'http://s.test/')).toContain(
      'http://s.test/broken.jpg',
    );
  });

  it('reads a page with more elements under one parent, or srcset candidates, than a call can take as arguments', () => {
    // children.push(...childNodes) threw RangeError past about 120 000: a page could make its
    // own check fail.
    const n = 150_000;
    const imgs = Array.from({ length: n }, (_, i) => `<img src="/i/${i}.jpg">`).join('');
    const found = extractMediaCandidates(`<html><body>${imgs}</body></html>`, 'https://example.test/page');
    expect(found).toHaveLength(n);
    expect(found[n - 1]).toBe(`https://example.test/i/${n - 1}.jpg`);
    const srcset = Array.from({ length: n }, (_, i) => `/s/${i}.jpg ${i + 1}w`).join(', ');
    expect(parseSrcset(srcset)).toHaveLength(n);
    expect(extractMediaCandidates(`<img srcset="${srcset}">`, 'https://example.test/')).toHaveLength(n);
  });
});
