import { expect } from 'chai';
import { attributionHtml, escapeHtml, httpUrl } from '../../viewer/src/attribution.ts';

describe('layer attributions for the map', () => {
  it('escapes markup, so a hostile attribution is shown as text', () => {
    expect(attributionHtml('<img src=x onerror=window.__xss=1>')).to.equal('&lt;img src=x onerror=window.__xss=1&gt;');
    expect(attributionHtml('"><script>window.__xss=1</script>')).to.equal(
      '&quot;&gt;&lt;script&gt;window.__xss=1&lt;/script&gt;',
    );
  });

  it('turns http(s) URLs into links the viewer builds, with punctuation after them left outside', () => {
    expect(attributionHtml('© Sở TN&MT, https://stnmt.bacninh.gov.vn/bando.')).to.equal(
      '© Sở TN&amp;MT, <a href="https://stnmt.bacninh.gov.vn/bando" target="_blank" rel="noopener noreferrer">' +
        'https://stnmt.bacninh.gov.vn/bando</a>.',
    );
  });

  it('never makes a link of javascript: or data: text, and escapes quotes inside a URL', () => {
    expect(attributionHtml('javascript:alert(1)')).to.equal('javascript:alert(1)');
    expect(attributionHtml('data:text/html,<b>x</b>')).to.equal('data:text/html,&lt;b&gt;x&lt;/b&gt;');
    expect(attributionHtml('http://a.example/?q=1&r=2')).to.contain('href="http://a.example/?q=1&amp;r=2"');
    expect(httpUrl('javascript:alert(1)')).to.equal(null);
    expect(httpUrl('https://a.example/')?.href).to.equal('https://a.example/');
  });

  it('escapes all five HTML-significant characters', () => {
    expect(escapeHtml(`&<>"'`)).to.equal('&amp;&lt;&gt;&quot;&#39;');
  });
});
