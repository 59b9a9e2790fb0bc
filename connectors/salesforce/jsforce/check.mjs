// Checks that jsforce 3, a widely used Salesforce client, reads crmscan-sf-emulator serving
// samples/salesforce-export. Prints one line per check; exits 1 on the first failed one.
//
//   SF_INSTANCE_URL, SF_ACCESS_TOKEN  the emulator's instance_url=… and access_token=… lines
//   SF_BATCH_SIZE                     batch size asked for by the paging checks (default 5); the
//                                     emulator must be started with --min-batch-size at or below it
//   SF_CLIENT_ID, SF_CLIENT_SECRET, SF_USERNAME, SF_PASSWORD
//                                     credentials for the login checks (emulator defaults)
//
// run.sh starts the emulator and runs this file.
import jsforce from 'jsforce';

const API_VERSION = '60.0';
const instanceUrl = process.env.SF_INSTANCE_URL;
const accessToken = process.env.SF_ACCESS_TOKEN;
const batchSize = Number(process.env.SF_BATCH_SIZE || 5);
const credentials = {
  clientId: process.env.SF_CLIENT_ID || 'crmscan-emulator-client',
  clientSecret: process.env.SF_CLIENT_SECRET || 'crmscan-emulator-secret',
  username: process.env.SF_USERNAME || 'scanner@example.com',
  password: process.env.SF_PASSWORD || 'emulator-password',
};

let passed = 0;
let skipped = 0;

class CheckFailed extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function describeError(error) {
  if (error instanceof CheckFailed) return error.message;
  const name = error?.errorCode || error?.name || 'Error';
  return `${name}: ${error?.message ?? error}`;
}

async function check(name, body) {
  let detail;
  try {
    detail = await body();
  } catch (error) {
    console.log(`FAIL ${name}: ${describeError(error)}`);
    console.log(`jsforce: ${passed} passed, 1 failed, ${skipped} skipped`);
    process.exit(1);
  }
  if (detail?.skip) {
    skipped += 1;
    console.log(`SKIP ${name}: ${detail.skip}`);
  } else {
    passed += 1;
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
  }
}

if (!instanceUrl || !accessToken) {
  console.error('check.mjs: set SF_INSTANCE_URL and SF_ACCESS_TOKEN (run.sh does)');
  process.exit(2);
}
if (!Number.isInteger(batchSize) || batchSize < 1) {
  console.error(`check.mjs: SF_BATCH_SIZE must be a positive integer, not ${process.env.SF_BATCH_SIZE}`);
  process.exit(2);
}

const conn = new jsforce.Connection({ instanceUrl, accessToken, version: API_VERSION });
const TASKS = 'SELECT Id, Subject FROM Task';
const pagingHeaders = { 'Sforce-Query-Options': `batchSize=${batchSize}` };
const ids = (records) => records.map((record) => record.Id);
const sameSet = (a, b) => a.length === b.length && new Set([...a, ...b]).size === new Set(a).size;
let liveTaskIds = [];

console.log(`jsforce ${jsforce.VERSION} against ${instanceUrl} (API v${API_VERSION})`);

await check('describeGlobal lists the sample objects', async () => {
  const result = await conn.describeGlobal();
  expect(Array.isArray(result?.sobjects), `no sobjects array in ${JSON.stringify(result)}`);
  const names = result.sobjects.map((object) => object.name);
  const wanted = ['Account', 'Contact', 'Lead', 'Task', 'Event', 'Case', 'EmailMessage', 'User',
    'VoiceCall', 'Loyalty_Card__c', 'NVMContactWorld__InteractionEvent__c'];
  const missing = wanted.filter((name) => !names.includes(name));
  expect(missing.length === 0, `missing ${missing.join(', ')} among ${names.join(', ')}`);
  const task = result.sobjects.find((object) => object.name === 'Task');
  expect(task.keyPrefix === '00T', `Task keyPrefix is ${task.keyPrefix}, not 00T`);
  return `${names.length} objects, Task keyPrefix ${task.keyPrefix}`;
});

await check("sobject('Task').describe(): WhoId references Contact and Lead", async () => {
  const result = await conn.sobject('Task').describe();
  expect(result?.name === 'Task', `describe returned ${result?.name}`);
  const who = result.fields.find((field) => field.name === 'WhoId');
  expect(who, `no WhoId among ${result.fields.map((field) => field.name).join(', ')}`);
  expect(who.type === 'reference', `WhoId type is ${who.type}, not reference`);
  for (const target of ['Contact', 'Lead'])
    expect(who.referenceTo.includes(target), `WhoId referenceTo ${JSON.stringify(who.referenceTo)} lacks ${target}`);
  expect(who.relationshipName === 'Who', `WhoId relationshipName is ${who.relationshipName}`);
  return `${result.fields.length} fields; WhoId reference to ${who.referenceTo.join(', ')}`;
});

await check('query vs queryAll (scanAll): queryAll also returns the archived/deleted Tasks', async () => {
  // jsforce 3 has no Connection#queryAll; the scanAll option sends the query to /queryAll.
  const live = await conn.query(TASKS);
  const all = await conn.query(TASKS, { scanAll: true });
  expect(live.done && all.done, 'a result without paging asked for is not done');
  expect(live.totalSize === live.records.length, `query: totalSize ${live.totalSize} != ${live.records.length} records`);
  expect(all.totalSize === all.records.length, `queryAll: totalSize ${all.totalSize} != ${all.records.length} records`);
  expect(all.totalSize > live.totalSize, `queryAll returned ${all.totalSize}, query ${live.totalSize}: no hidden rows`);
  const allIds = new Set(ids(all.records));
  expect(ids(live.records).every((id) => allIds.has(id)), 'query returned a Task that queryAll did not');
  // The rows that query hides must be exactly those flagged IsDeleted or IsArchived.
  const flagged = await conn.query('SELECT Id, IsDeleted, IsArchived FROM Task', { scanAll: true });
  const liveIds = new Set(ids(live.records));
  const hidden = flagged.records.filter((record) => !liveIds.has(record.Id));
  expect(hidden.every((record) => record.IsDeleted === true || record.IsArchived === true),
    `query hid rows that are neither deleted nor archived: ${JSON.stringify(hidden)}`);
  expect(flagged.records.filter((record) => record.IsDeleted || record.IsArchived).length === hidden.length,
    'query returned a deleted or archived row');
  liveTaskIds = ids(live.records);
  const kinds = hidden.map((record) => (record.IsDeleted ? 'deleted' : 'archived'));
  return `query ${live.totalSize}, queryAll ${all.totalSize} (hidden: ${kinds.join(', ')})`;
});

await check(`query autoFetch/maxFetch pages through nextRecordsUrl (batchSize=${batchSize})`, async () => {
  let pages = 0;
  const query = conn.query(TASKS, { headers: pagingHeaders });
  query.on('fetch', () => { pages += 1; });
  const result = await query.run({ autoFetch: true, maxFetch: 1000 });
  expect(pages > 1, `one page of ${result.records.length} records: the emulator ignored batchSize=${batchSize} ` +
    '(start it with --min-batch-size at or below SF_BATCH_SIZE)');
  expect(result.done === true && !result.nextRecordsUrl, `not done after autoFetch: ${JSON.stringify({ done: result.done, nextRecordsUrl: result.nextRecordsUrl })}`);
  expect(result.records.length === result.totalSize, `${result.records.length} records of totalSize ${result.totalSize}`);
  expect(sameSet(ids(result.records), liveTaskIds), 'paged records differ from the unpaged query');
  return `${result.records.length} records in ${pages} pages`;
});

await check('queryMore follows nextRecordsUrl page by page', async () => {
  let page = await conn.query(TASKS, { headers: pagingHeaders });
  const urls = [];
  const records = [...page.records];
  expect(!page.done && page.nextRecordsUrl, `first page is done: ${JSON.stringify({ done: page.done, totalSize: page.totalSize })}`);
  expect(page.records.length === batchSize, `first page has ${page.records.length} records, not ${batchSize}`);
  while (!page.done) {
    expect(urls.length < 1000, 'queryMore does not end');
    urls.push(page.nextRecordsUrl);
    page = await conn.queryMore(page.nextRecordsUrl);
    records.push(...page.records);
  }
  expect(sameSet(ids(records), liveTaskIds), `${records.length} records differ from the unpaged query`);
  return `${records.length} records, ${urls.length} queryMore calls (first ${new URL(urls[0]).pathname})`;
});

await check('search: FIND {"020 7946 0958"} IN PHONE FIELDS finds the Contact with Phone 020 7946 0958', async () => {
  const result = await conn.search('FIND {"020 7946 0958"} IN PHONE FIELDS RETURNING Contact(Id, Phone)');
  const records = result?.searchRecords;
  expect(Array.isArray(records), `no searchRecords in ${JSON.stringify(result)}`);
  expect(records.every((record) => record.attributes?.type === 'Contact'), `non-Contact hits: ${JSON.stringify(records)}`);
  const hit = records.find((record) => record.Phone === '020 7946 0958');
  expect(hit, `no Contact with Phone "020 7946 0958" among ${JSON.stringify(records)}`);
  return `${records.length} hit(s); Contact ${hit.Id}`;
});

async function bulkRows(soql, options) {
  const stream = await conn.bulk2.query(soql, { pollInterval: 200, pollTimeout: 20000, ...options });
  return new Promise((resolve, reject) => {
    const rows = [];
    stream.on('record', (row) => rows.push(row));
    stream.on('error', reject);
    stream.on('end', () => resolve(rows));
  });
}

await check('Bulk API 2.0: bulk2.query(SELECT Id FROM Task)', async () => {
  // What jsforce 3 asks for: POST …/jobs/query {"operation","query"}, GET …/jobs/query/{id} until
  // JobComplete, then GET …/jobs/query/{id}/results (Accept: text/csv) while Sforce-Locator is
  // not "null".
  const unsupported = (error) =>
    /^(NOT_FOUND|METHOD_NOT_ALLOWED|ERROR_HTTP_(404|405|415|501))$/.test(error?.errorCode || error?.name || '');
  let rows;
  try {
    rows = await bulkRows('SELECT Id FROM Task');
  } catch (error) {
    // An endpoint or header that the emulator lacks is reported, not hidden.
    if (unsupported(error))
      return { skip: `jsforce's Bulk API 2.0 request (POST …/jobs/query, GET …/jobs/query/{id}, GET …/jobs/query/{id}/results) was not served: ${describeError(error)}` };
    throw error;
  }
  expect(rows.every((row) => typeof row.Id === 'string' && row.Id.length === 18), `rows without an 18-character Id: ${JSON.stringify(rows.slice(0, 3))}`);
  expect(sameSet(ids(rows), liveTaskIds), `${rows.length} rows, the REST query ${liveTaskIds.length}`);
  const all = await bulkRows('SELECT Id FROM Task', { scanAll: true });
  expect(all.length > rows.length, `queryAll job: ${all.length} rows, query job ${rows.length}`);
  return `${rows.length} rows (queryAll job: ${all.length})`;
});

await check('login: OAuth2 username-password flow at the emulator token endpoint', async () => {
  const login = new jsforce.Connection({
    oauth2: { loginUrl: instanceUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret },
    version: API_VERSION,
  });
  const user = await login.login(credentials.username, credentials.password);
  expect(login.accessToken && login.accessToken !== accessToken, 'no new access token');
  expect(login.instanceUrl === instanceUrl, `instance_url ${login.instanceUrl}, not ${instanceUrl}`);
  expect(user?.id && user?.organizationId, `no user or org id in ${JSON.stringify(user)}`);
  const count = await login.query(TASKS);
  expect(count.totalSize === liveTaskIds.length, `query with the new token: ${count.totalSize} Tasks`);
  let refused;
  try {
    await new jsforce.Connection({
      oauth2: { loginUrl: instanceUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret },
      version: API_VERSION,
    }).login(credentials.username, `${credentials.password}-wrong`);
  } catch (error) {
    refused = error;
  }
  expect(refused?.name === 'invalid_grant', `a wrong password was not refused with invalid_grant: ${refused ? describeError(refused) : 'accepted'}`);
  return `user ${user.id}, org ${user.organizationId}; token queries ${count.totalSize} Tasks; wrong password → invalid_grant`;
});

await check('authorize: OAuth2 client_credentials flow', async () => {
  const client = new jsforce.Connection({
    oauth2: { loginUrl: instanceUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret },
    version: API_VERSION,
  });
  const user = await client.authorize({ grant_type: 'client_credentials' });
  expect(client.accessToken, 'no access token');
  const result = await client.sobject('Contact').find({}, ['Id', 'Phone']).limit(3);
  expect(result.length > 0, 'no Contacts with the client-credentials token');
  return `user ${user.id}; ${result.length} Contacts via sobject().find()`;
});

console.log(`jsforce: ${passed} passed, 0 failed, ${skipped} skipped`);
