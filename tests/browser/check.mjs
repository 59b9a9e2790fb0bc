// Opens crmscan's HTML reports in headless Chromium and checks them as a reader would see them.
//
//   node check.mjs WORK_DIR [--screenshot FILE]
//
// WORK_DIR holds three scans made by run.sh, each an --out folder with findings.json and
// report.html: sample/ (the Salesforce sample), hostile/ (values written to run script) and
// large/ (10,000 findings of one request). Exits 1 on the first failed check, naming it.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const args = process.argv.slice(2);
const work = resolve(args[0]);
const shot = args.indexOf('--screenshot') >= 0 ? resolve(args[args.indexOf('--screenshot') + 1]) : null;

let failures = 0;
let checks = 0;
function check(ok, what) {
  checks += 1;
  if (!ok) {
    failures += 1;
    console.error(`FAIL  ${what}`);
  }
}
function equal(actual, expected, what) {
  const a = String(JSON.stringify(actual));
  const e = String(JSON.stringify(expected));
  check(a === e, `${what}\n        got      ${a.slice(0, 600)}\n        expected ${e.slice(0, 600)}`);
}

const ACTIONS = ['delete_record', 'delete_content', 'erase_field', 'review'];

// What the page must show, computed from findings.json alone.
function expectedOf(json) {
  const requests = json.metadata.requests.slice();
  for (const f of json.findings) if (!requests.includes(f.request_id)) requests.push(f.request_id);
  return requests.map((id) => {
    const findings = json.findings.filter((f) => f.request_id === id);
    const counts = { total: findings.length };
    for (const a of ACTIONS) counts[a] = findings.filter((f) => f.action === a).length;
    // The graph: a record with a `via` hangs off that record, by the finding's reason; one
    // without hangs off the request, by the reason of its record-level finding (else its first).
    const key = (object, record) => `${object}\u001f${record}`;
    const nodes = new Set(['request']);
    const edges = new Set();
    const records = new Map();
    for (const f of findings) {
      const k = key(f.object, f.record_id);
      if (!records.has(k)) records.set(k, []);
      records.get(k).push(f);
      nodes.add(k);
    }
    for (const [k, list] of records) {
      const via = list.filter((f) => f.why.via && f.why.via.record_id);
      if (via.length === 0) {
        const primary = list.find((f) => f.field === '') || list[0];
        edges.add(`request\u001e${k}\u001e${primary.why.reason}`);
      }
      for (const f of via) {
        const from = key(f.why.via.object, f.why.via.record_id);
        nodes.add(from);
        edges.add(`${from}\u001e${k}\u001e${f.why.reason}`);
      }
    }
    return { id, findings, counts, nodes: [...nodes].sort(), edges: [...edges].sort() };
  });
}

async function openReport(browser, folder) {
  const page = await browser.newPage();
  const problems = [];
  const file = pathToFileURL(join(folder, 'report.html')).href;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('request', (r) => { if (r.url() !== file) problems.push(`request to ${r.url()}`); });
  await page.goto(file, { waitUntil: 'load' });
  await page.waitForSelector('html[data-ready]', { timeout: 10000 });
  return { page, problems };
}

async function openRequest(page, index) {
  await page.evaluate((i) => { document.getElementById(`request-${i}`).open = true; }, index);
  await page.waitForFunction((i) => document.getElementById(`request-${i}`).hasAttribute('data-rendered'), {}, index);
}

async function graphOnPage(page, index) {
  return page.evaluate((i) => {
    const box = document.getElementById(`request-${i}`);
    const nodes = [...box.querySelectorAll('svg.graph g.node')].map((n) => n.getAttribute('data-key'));
    const edges = [...box.querySelectorAll('svg.graph path.edge')].map((e) =>
      `${e.getAttribute('data-from')}\u001e${e.getAttribute('data-to')}\u001e${e.getAttribute('data-reason')}`);
    return { nodes: nodes.sort(), edges: edges.sort() };
  }, index);
}

async function setFilter(page, index, column, value) {
  await page.evaluate((i, c, v) => {
    const s = document.querySelector(`#request-${i} select[data-filter="${c}"]`);
    s.value = v;
    s.dispatchEvent(new Event('change'));
  }, index, column, value);
}

async function tableState(page, index) {
  return page.evaluate((i) => {
    const box = document.getElementById(`request-${i}`);
    const rows = [...box.querySelectorAll('table.findings tbody tr')];
    return {
      matching: Number(box.querySelector('.rows').getAttribute('data-matching')),
      status: box.querySelector('.rows').textContent,
      rows: rows.map((r) => [...r.children].map((td) => td.textContent)),
      columns: [...box.querySelectorAll('table.findings th')].map((th) => th.getAttribute('data-column')),
    };
  }, index);
}

async function checkSample(browser) {
  const folder = join(work, 'sample');
  const json = JSON.parse(readFileSync(join(folder, 'findings.json'), 'utf8'));
  const expected = expectedOf(json);
  const { page, problems } = await openReport(browser, folder);
  check(expected.length >= 2 && json.findings.length > 0, 'the sample has requests and findings');

  const status = await page.$eval('#scan-status', (e) => e.getAttribute('data-complete'));
  equal(status, String(json.complete), 'the page says whether the scan is complete');

  const summary = await page.$$eval('table.summary tbody tr', (rows) => rows.map((r) => {
    const out = { id: r.getAttribute('data-request-id') };
    for (const td of r.querySelectorAll('td[data-action]')) out[td.getAttribute('data-action')] = Number(td.textContent);
    return out;
  }));
  equal(summary, expected.map((r) => ({ id: r.id, ...r.counts })), 'per-request counts by action equal findings.json');

  for (let i = 0; i < expected.length; ++i) {
    const request = expected[i];
    await openRequest(page, i);
    if (request.findings.length === 0) {
      const text = await page.$eval(`#request-${i} .content`, (e) => e.textContent);
      check(text.includes('No data found'), `${request.id}: says no data found`);
      continue;
    }
    const graph = await graphOnPage(page, i);
    equal(graph.nodes, request.nodes, `${request.id}: graph nodes equal findings.json's records`);
    equal(graph.edges, request.edges, `${request.id}: graph edges equal findings.json's reasons and vias`);
    const table = await tableState(page, i);
    equal(table.matching, request.findings.length, `${request.id}: the table lists every finding`);

    // Filtering by each action, object and category present, then back to all.
    const objectColumn = table.columns.indexOf('object');
    const actionColumn = table.columns.indexOf('action');
    const categoryColumn = table.columns.indexOf('category');
    for (const [column, at] of [['action', actionColumn], ['object', objectColumn], ['category', categoryColumn]]) {
      const values = [...new Set(request.findings.map((f) => f[column]))];
      for (const value of values) {
        await setFilter(page, i, column, value);
        const filtered = await tableState(page, i);
        const want = request.findings.filter((f) => f[column] === value).length;
        equal(filtered.matching, want, `${request.id}: filter ${column}=${value} shows its findings`);
        check(filtered.rows.every((r) => r[at] === value), `${request.id}: filter ${column}=${value} shows no other row`);
      }
      await setFilter(page, i, column, '');
    }
    // Sorting by object, both ways.
    await page.click(`#request-${i} th[data-column="object"]`);
    let sorted = await tableState(page, i);
    const objects = request.findings.map((f) => f.object).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    equal(sorted.rows.map((r) => r[objectColumn]), objects.slice(0, 100), `${request.id}: sorted by object`);
    await page.click(`#request-${i} th[data-column="object"]`);
    sorted = await tableState(page, i);
    equal(sorted.rows.map((r) => r[objectColumn]), objects.slice().reverse().slice(0, 100), `${request.id}: sorted by object, descending`);
  }
  // A filter combination: the first request's records of its first object, for review only.
  const first = expected.findIndex((r) => r.findings.length > 0);
  const { object } = expected[first].findings[0];
  await setFilter(page, first, 'object', object);
  await setFilter(page, first, 'action', 'review');
  const both = await tableState(page, first);
  equal(both.matching, expected[first].findings.filter((f) => f.object === object && f.action === 'review').length,
    'filters combine');
  equal(problems, [], 'the sample report: no console error, no request to any other file or network');

  if (shot) {
    await setFilter(page, first, 'object', '');
    await setFilter(page, first, 'action', '');
    await page.setViewport({ width: 1400, height: 900 });
    await page.evaluate((i) => {
      document.querySelectorAll('details.request').forEach((d, j) => { d.open = j === i; });
      document.getElementById(`request-${i}`).scrollIntoView();
    }, first);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot: ${shot}`);
  }
  await page.close();
}

async function checkHostile(browser) {
  const folder = join(work, 'hostile');
  const json = JSON.parse(readFileSync(join(folder, 'findings.json'), 'utf8'));
  const { page, problems } = await openReport(browser, folder);
  const expected = expectedOf(json);
  check(json.findings.length >= 3, 'the hostile scan has findings');
  for (let i = 0; i < expected.length; ++i) await openRequest(page, i);
  const pwned = await page.evaluate(() => window.pwned);
  equal(pwned, undefined, 'no value of a finding runs as script');
  const injected = await page.$$eval('img, iframe, object, embed, body script:not(#crmscan-data)', (e) => e.length);
  equal(injected, 1, 'no element comes from a value (only the page\'s own script)');
  const text = await page.evaluate(() => document.body.innerText);
  for (const f of json.findings) {
    check(text.includes(f.record_id), `a hostile record id is shown as text: ${f.record_id}`);
  }
  check(text.includes(json.metadata.requests[0]), 'a hostile request id is shown as text');
  const graph = await graphOnPage(page, 0);
  equal(graph.nodes, expected[0].nodes, 'hostile ids: graph nodes equal findings.json');
  equal(problems, [], 'the hostile report: no console error, no request');
  await page.close();
}

async function checkLarge(browser) {
  const folder = join(work, 'large');
  const json = JSON.parse(readFileSync(join(folder, 'findings.json'), 'utf8'));
  check(json.findings.length >= 10000, `the large scan has 10,000 findings (${json.findings.length})`);
  const started = Date.now();
  const { page, problems } = await openReport(browser, folder);
  await openRequest(page, 0);
  const opened = Date.now() - started;
  check(opened < 5000, `10,000 findings: the page loads and a request opens within 5 s (${opened} ms)`);
  let table = await tableState(page, 0);
  equal([table.rows.length, table.matching], [100, json.findings.length], 'a page of 100 rows of all');
  await page.click('#request-0 .pager button:nth-child(2)');
  table = await tableState(page, 0);
  check(table.status.startsWith('findings 101–200 of'), `next page: ${table.status}`);
  const t0 = Date.now();
  await setFilter(page, 0, 'action', 'delete_record');
  table = await tableState(page, 0);
  equal(table.matching, json.findings.filter((f) => f.action === 'delete_record').length, '10,000 findings: filter');
  check(Date.now() - t0 < 1000, `10,000 findings: a filter answers within a second (${Date.now() - t0} ms)`);
  const button = await page.$eval('#request-0 .graph-box', (e) => e.textContent);
  check(button.includes('drawn on demand'), 'a graph of 10,000 records waits to be asked for');
  equal(problems, [], 'the large report: no console error, no request');
  await page.close();
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // Chromium refuses its sandbox to root (CI runs as root).
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
try {
  await checkSample(browser);
  await checkHostile(browser);
  await checkLarge(browser);
} finally {
  await browser.close();
}
console.log(`${checks - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
