import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Layer } from '../../server/catalog/catalog.ts';
import { collectionHtml, itemHtml, landingHtml, pageStyleSource, safeHref } from '../../server/features/html.ts';
import { cspDirectives } from '../../server/http/security-headers.ts';

const hostile = '"><img src=x onerror=alert(1)>';

/** A layer whose every text is hostile. */
const layer = {
  id: 'probe',
  title: hostile,
  titleVi: `<script>alert(1)</script>`,
  description: hostile,
  keywords: [hostile],
  attribution: hostile,
  licence: hostile,
  bounds: null,
  columns: [{ name: 'ten', type: 'string', label: { en: hostile, vi: hostile } }],
  column: (name: string) => (name === 'ten' ? { name: 'ten', type: 'string', label: { en: hostile, vi: hostile } } : undefined),
} as unknown as Layer;

describe('f=html pages', () => {
  it('escape every value from the data: no tag or attribute of the data survives', () => {
    const pages = [
      collectionHtml(layer, [{ rel: 'self', href: '/collections/probe', title: hostile, type: 'text/html' }]),
      itemHtml(layer, {
        id: '1"><b>' as unknown as number,
        geometry: { type: hostile },
        properties: { ten: hostile, [hostile]: hostile },
      }),
      landingHtml(hostile, hostile, []),
    ];
    for (const html of pages) {
      expect(html).not.to.contain('<img').and.not.to.contain('<script').and.not.to.contain('<b>');
      expect(html).to.contain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    }
  });

  it('link only http(s) and server-relative URLs', () => {
    expect(safeHref('/collections?f=html')).to.equal('/collections?f=html');
    expect(safeHref('https://example.org/a?b=1')).to.equal('https://example.org/a?b=1');
    const bad = ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,x'];
    bad.push('//evil.example/', '/\\evil.example/', 'not a url');
    for (const href of bad) {
      expect(safeHref(href), href).to.equal('#');
    }
    const html = collectionHtml(layer, [{ rel: 'alternate', href: 'javascript:alert(1)', title: 'x' }]);
    expect(html).not.to.contain('javascript:');
  });

  it('carry one inline stylesheet, allowed by its hash in the CSP, and no script', () => {
    const html = landingHtml('t', 'd', []);
    const style = /<style>([^<]*)<\/style>/.exec(html)![1];
    expect(pageStyleSource).to.equal(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(cspDirectives['style-src']).to.include(pageStyleSource).and.not.to.include("'unsafe-inline'");
    expect(cspDirectives['script-src']).to.deep.equal(["'self'"]);
    expect(html).not.to.match(/<script|\son[a-z]+=/i);
  });
});
