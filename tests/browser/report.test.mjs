// A real-browser end-to-end test: Debian's headless Chromium, driven by
// playwright-core, files a report from a phone the way an employee would and
// then a section's security manager opens it on a desktop. Everything is found
// by the visible labels and button names of the pages, as a person finds it.
//
// Needs a running server seeded with `sokuho demo`; scripts/check.sh starts
// one and sets SOKUHO_URL. Run by hand:
//   SOKUHO_URL=http://127.0.0.1:8080 node --test tests/browser/*.test.mjs
// Screenshots go to build/artifacts/ (*-failed.png when a test fails).
// SOKUHO_CHROMIUM overrides the browser (default /usr/bin/chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.SOKUHO_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.SOKUHO_CHROMIUM || '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'build', 'artifacts');
const PASSWORD = 'demo-password-2026';   // every demo account's (README)
const REPORTER = 'sakai.haruto';          // staff, 税務課 (src/org/demo.c)
const MANAGER = 'yamazaki.tsutomu';       // 情報セキュリティ管理者, 税務課 (src/org/demo.c)
const SUMMARY = `USBメモリを紛失しました（ブラウザ試験 ${Date.now()}）`;
const DETAILS = '税務課の窓口で使っていたUSBメモリが見当たりません。\n住民税の通知書の控えが入っていました。';
const TIMEOUT = 15000;

let browser;
let tmp;
let ref; // the reference of the report filed by the first test

before(async () => {
	tmp = await mkdtemp(path.join(tmpdir(), 'sokuho-browser-'));
	await mkdir(ARTIFACTS, { recursive: true });
	for (const f of await readdir(ARTIFACTS))
		if (f.endsWith('-failed.png'))
			await rm(path.join(ARTIFACTS, f));
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		// The flags this machine needs: its network is closed (no background
		// connections, no QUIC) and, as root, Chromium runs without its
		// sandbox. Playwright itself gives every launch a fresh, empty
		// --user-data-dir in the temp folder (it refuses one in `args`) and
		// removes it on close.
		headless: true,
		chromiumSandbox: false,
		args: [
			'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
		],
		timeout: 30000,
	});
});

after(async () => {
	await browser?.close();
	if (tmp)
		await rm(tmp, { recursive: true, force: true });
});

async function newPage(contextOptions) {
	const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...contextOptions });
	context.setDefaultTimeout(TIMEOUT);
	const page = await context.newPage();
	return { context, page };
}

// The page as it was when a test failed, for whoever reads the failure.
async function failureShot(page, name) {
	await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true }).catch(() => {});
}

// Chooses the option of a <select> (found by its label) whose visible text
// matches `text`.
async function choose(page, label, text) {
	const select = page.getByLabel(label);
	const option = select.locator('option').filter({ hasText: text });
	assert.equal(await option.count(), 1, `no single option ${text} in ${label}`);
	await select.selectOption(await option.getAttribute('value'));
}

// Presses a form's submit button (found by its visible name) and waits until
// the page the POST leads to (after any redirect) has loaded.
async function submit(page, name) {
	const mainFrame = page.mainFrame();
	const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === mainFrame });
	await page.getByRole('button', { name }).click();
	await navigated;
	await page.waitForLoadState();
}

// Signs in on the login form the browser was sent to; the form carries the
// page it was asked for (`next`) and goes back there.
async function signIn(page, login) {
	await assert.doesNotReject(page.waitForURL(/\/login(\?|$)/), 'not sent to the sign-in page');
	await page.getByLabel(/ログインID/).fill(login);
	await page.getByLabel(/パスワード/).fill(PASSWORD);
	await submit(page, /ログイン/);
	assert.doesNotMatch(new URL(page.url()).pathname, /^\/login/, `${login} could not sign in`);
}

test('an employee reports a lost USB stick from a phone', async () => {
	const { context, page } = await newPage({
		viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
	});
	try {
		const res = await page.goto(`${BASE}/`);
		assert.equal(res.status(), 200);
		await page.getByRole('link', { name: /報告する/ }).first().click();

		// /report needs a signed-in person: to the sign-in page and back again
		await signIn(page, REPORTER);
		await page.waitForURL(`${BASE}/report`);
		const summary = page.getByLabel(/何が起きましたか/);
		const details = page.getByLabel(/詳しい状況/);
		await assert.doesNotReject(summary.waitFor(), 'not back on the report form after sign-in');

		// First a report without its one-line summary: the form comes back
		// with the error next to that field and keeps what was typed.
		await details.fill(DETAILS);
		await submit(page, /報告する/);
		await assert.doesNotReject(page.getByRole('alert').first().waitFor(), 'no error summary');
		assert.equal(await summary.getAttribute('aria-invalid'), 'true', 'the summary is not marked invalid');
		const errorId = await summary.getAttribute('aria-describedby');
		assert.ok(errorId, 'the summary has no error described next to it');
		const fieldError = page.locator(`[id="${errorId}"]`);
		assert.ok((await fieldError.innerText()).trim().length > 0, 'the summary\'s error message is empty');
		// the message sits in the same field as the input, right below it
		const field = page.locator('.field').filter({ has: summary });
		assert.equal(await field.locator(`[id="${errorId}"]`).count(), 1, 'the error is not next to the summary');
		assert.equal(await details.inputValue(), DETAILS, 'the details were lost');

		// Now the real report.
		await summary.fill(SUMMARY);
		assert.equal(await details.inputValue(), DETAILS);
		assert.notEqual(await page.getByLabel(/発見日時/).inputValue(), '', 'no default discovered time');
		await choose(page, /種別/, '紛失・盗難');
		await choose(page, /拠点/, '市役所本庁舎');
		await page.getByLabel(/LGWAN接続系/).check();
		await page.getByRole('group', { name: /個人情報が含まれますか/ }).getByLabel(/はい/).check();
		await page.getByLabel(/おおよその人数/).fill('120');
		const evidence = path.join(tmp, 'usb-memo.txt');
		await writeFile(evidence, '紛失したUSBメモリの管理番号: Z-0042\n');
		await page.getByLabel(/証拠となるファイル/).setInputFiles(evidence);
		await submit(page, /報告する/);

		// The confirmation: the reference, and the PPC clock (more than 100 persons).
		await page.waitForURL(/\/report\/filed\//);
		const heading = page.getByRole('heading', { name: /報告を受け付けました/ });
		await assert.doesNotReject(heading.waitFor(), 'no confirmation');
		const body = await page.locator('body').innerText();
		const m = body.match(/INC-\d{4}-\d{4}/);
		assert.ok(m, 'no reference INC-YYYY-NNNN on the confirmation');
		ref = m[0];
		assert.match(page.url(), new RegExp(`/report/filed/${ref}$`));
		assert.match(body, /速報（個人情報保護委員会）/, 'no PPC preliminary-report deadline');
		assert.match(body, /100人を超える/, 'the reason of the PPC clock is not given');
		await page.screenshot({ path: path.join(ARTIFACTS, 'report-filed-phone.png'), fullPage: true });
	} catch (err) {
		await failureShot(page, 'report-phone-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});

test("the section's security manager opens the report on a desktop", async () => {
	if (!ref)
		assert.fail('no report was filed by the test before');
	const { context, page } = await newPage({ viewport: { width: 1280, height: 800 } });
	try {
		await page.goto(`${BASE}/login`);
		await signIn(page, MANAGER);
		const res = await page.goto(`${BASE}/incidents/${ref}`);
		assert.equal(res.status(), 200, `GET /incidents/${ref}`);
		const body = await page.locator('body').innerText();
		assert.ok(body.includes(ref), 'the reference is not on the incident page');
		assert.ok(body.includes(SUMMARY), 'the summary is not on the incident page');
		await page.screenshot({ path: path.join(ARTIFACTS, 'incident-desktop.png'), fullPage: true });
	} catch (err) {
		await failureShot(page, 'incident-desktop-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});
