/**
 * The open-data portal page in a real browser, offline (every request outside loopback is refused): search without
 * diacritics, open a dataset, read its metadata, switch the CRS, and download a file whose Vietnamese name survives.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { chromiumPath, requireTool } from '../support/environment.ts';
import { openClosedNetworkBrowser, type ClosedNetworkBrowser } from '../support/browser.ts';
import { forEachBackend } from '../support/servers.ts';

forEachBackend('open-data portal in a browser', (server) => {
  let browser: ClosedNetworkBrowser | undefined;

  before(async function () {
    requireTool(this, chromiumPath !== '', 'open-data portal: browser tests', 'Chromium (apt-get install chromium)');
    this.timeout(60_000);
    browser = await openClosedNetworkBrowser({ width: 1200, height: 900 });
  });
  after(async () => {
    await browser?.close();
  });

  it('finds a dataset by words without diacritics, shows its metadata and downloads it as GeoJSON', async function () {
    this.timeout(120_000);
    const page = browser!.page;
    await page.goto(`${server().url}/viewer/data.html`);
    await page.waitForSelector('#datasets li');
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLInputElement>('input, select')].filter((e) => !e.labels?.length).map((e) => e.id),
    );
    expect(unlabelled).to.deep.equal([]);
    expect(await page.locator('#datasets button').allTextContents()).not.to.include('Trạm thu phát sóng (BTS)');

    await page.locator('#q').fill('song ngoi');
    await page.locator('#search-form button[type=submit]').click();
    await page.waitForFunction(() => document.querySelectorAll('#datasets li').length === 1);
    await page.locator('#datasets button').click();
    await page.waitForSelector('#dataset:not([hidden])');
    expect(await page.locator('#ds-title').textContent()).to.equal('Sông ngòi');
    const metadata = await page.locator('#ds-metadata').textContent();
    expect(metadata).to.include('opendata@example.gov.vn');
    expect(metadata).to.include('MIT');
    await page.waitForSelector('#preview path.leaflet-interactive', { state: 'attached' });
    expect(await page.locator('#ds-apis a').allTextContents()).to.include.members([
      'OGC API - Features',
      'TileJSON',
      'DCAT (JSON-LD)',
    ]);

    await page.locator('#crs').selectOption('EPSG:9209');
    expect(await page.locator('#ds-downloads .disabled').textContent()).to.match(/KML/);
    await page.locator('#crs').selectOption('');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#ds-downloads a[data-format=geojson]').click(),
    ]);
    expect(download.suggestedFilename()).to.equal('Sông ngòi.geojson');
    const file = await download.path();
    const body = JSON.parse(fs.readFileSync(file, 'utf8')) as { features: unknown[] };
    const items = (await (await fetch(`${server().url}/collections/rivers/items?limit=1`)).json()) as { numberMatched: number };
    expect(body.features).to.have.length(items.numberMatched);
    expect(browser!.blocked).to.deep.equal([]);
    expect(browser!.pageErrors).to.deep.equal([]);
  });

  it('switches to English', async () => {
    const page = browser!.page;
    await page.locator('#lang').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.locator('h1').textContent()).to.equal('Bắc Ninh open data');
    await page.waitForFunction(() => document.getElementById('ds-title')!.textContent === 'Rivers');
  });
});
