// The web pages in a real headless Chromium (puppeteer-core driving the
// system's Chromium), run by tests/e2e/web_test.cpp while an agent works:
// sign in through the fake GitHub's authorize page, open the task page,
// watch transcript lines arrive without a reload, watch the run table fill
// in when the turn ends, then the board; and the refusals: signed out →
// the sign-in page, a person without access → 404. Writes the two README
// screenshots to $SCREENSHOT_DIR.
//
// Environment: BOTTEGA_URL, TASK_ID, GO_DIR (files the fake agent waits
// for: go-1, go-2), SCREENSHOT_DIR, CHROMIUM, PUPPETEER (the package dir).
// Exits 0 when every check passed; prints what failed otherwise.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const puppeteer = require(process.env.PUPPETEER);
const base = process.env.BOTTEGA_URL;
const taskId = process.env.TASK_ID;
const goDir = process.env.GO_DIR;
const shots = process.env.SCREENSHOT_DIR;
const timeout = 60000;

function log(...args) { console.log('[browser]', ...args); }
function check(cond, what) { if (!cond) throw new Error('check failed: ' + what); log('ok:', what); }

async function signIn(page, login, returnTo) {
  await page.goto(base + returnTo, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#sign-in', { timeout });
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('#sign-in')]);
  // The fake GitHub's authorize page.
  await page.waitForSelector('#login', { timeout });
  await page.$eval('#login', (el, v) => { el.value = v; }, login);
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('#authorize')]);
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM,
  headless: true,
  acceptInsecureCerts: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
});
let failed = false;
try {
  // Signed out: the sign-in page, for the board and for a task.
  {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    const res = await page.goto(`${base}/tasks/${taskId}`, { waitUntil: 'domcontentloaded' });
    check(res.status() === 200, 'signed out, a task answers with the sign-in page');
    check(await page.$('#sign-in') !== null, 'the sign-in page has the GitHub button');
    check(!(await page.content()).includes('run-table'), 'signed out, nothing of the task shows');
    const stream = await page.evaluate(async (u) => (await fetch(u)).status,
                                       `${base}/tasks/${taskId}/stream?after=0:0`);
    check(stream === 401, 'signed out, the stream is refused');
    await context.close();
  }

  // A person without access: 404, for the page and the stream.
  {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await signIn(page, 'mallory', '/tasks');
    check(page.url() === `${base}/tasks`, 'mallory signed in and came back to the board');
    check((await page.$$('.card')).length === 0, 'mallory sees no task on the board');
    const res = await page.goto(`${base}/tasks/${taskId}`, { waitUntil: 'domcontentloaded' });
    check(res.status() === 404, 'mallory gets 404 for the task');
    const stream = await page.evaluate(async (u) => (await fetch(u)).status,
                                       `${base}/tasks/${taskId}/stream?after=0:0`);
    check(stream === 404, 'mallory gets 404 for the stream');
    await context.close();
  }

  // The writer, while the planning agent runs.
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  await signIn(page, 'wanda', `/tasks/${taskId}`);
  check(page.url() === `${base}/tasks/${taskId}`, 'wanda signed in and came back to the task');
  await page.waitForSelector('#run-table tr.run.running', { timeout });
  check(true, 'the run table shows the running turn');
  await page.evaluate(() => { window.notReloaded = true; });
  await page.waitForFunction(() => document.querySelector('#live-state.on') !== null, { timeout });
  const before = await page.$$eval('.ev', (els) => els.length);
  fs.writeFileSync(path.join(goDir, 'go-1'), '');
  await page.waitForFunction(() => document.body.innerText.includes('First step done.'), { timeout });
  const after = await page.$$eval('.ev', (els) => els.length);
  check(after > before, `new transcript lines arrived live (${before} → ${after})`);
  check(await page.evaluate(() => window.notReloaded === true), 'without a reload');
  if (shots) {
    fs.mkdirSync(shots, { recursive: true });
    // The run table and the live transcript in view.
    await page.evaluate(() => document.getElementById('runs').scrollIntoView());
    await page.screenshot({ path: path.join(shots, 'task.png'), fullPage: false });
    log('wrote', path.join(shots, 'task.png'));
  }
  fs.writeFileSync(path.join(goDir, 'go-2'), '');
  await page.waitForFunction(
      () => { const r = document.querySelector('#run-table tr.run');
              return r && !r.classList.contains('running') &&
                     r.querySelector('.verdict').textContent.includes('plan-ready'); },
      { timeout });
  check(true, 'the run table filled in when the turn ended (verdict plan-ready)');
  check(await page.evaluate(() => window.notReloaded === true), 'still without a reload');
  const text = await page.evaluate(() => document.body.innerText);
  const count = (s) => text.split(s).length - 1;
  check(count('First step done.') === 1, 'no transcript line shows twice');
  check(count('Second step done.') === 1, 'the last lines arrived once too');
  check(text.includes('<script>alert(1)</script> stays text') &&
        await page.$$eval('main script', (els) => els.length) === 0,
        'agent text shows as text, never as markup');

  // The board.
  await page.goto(`${base}/tasks`, { waitUntil: 'domcontentloaded' });
  check((await page.$$('.card')).length >= 1, 'the board shows the task');
  check(await page.$(`a[href="/tasks/${taskId}"]`) !== null, 'the card links to the task page');
  if (shots) {
    await page.setViewport({ width: 1000, height: 420 });
    await page.screenshot({ path: path.join(shots, 'board.png') });
    log('wrote', path.join(shots, 'board.png'));
  }
  // Sign out: the sign-in page again.
  await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
                     page.click('header form button')]);
  await page.goto(`${base}/tasks/${taskId}`, { waitUntil: 'domcontentloaded' });
  check(await page.$('#sign-in') !== null, 'after signing out, the sign-in page');
  await context.close();
} catch (e) {
  failed = true;
  console.log('[browser] FAILED:', e.message);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
