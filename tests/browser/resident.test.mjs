// The residents' window in a real browser (issue 18): a resident tells the
// city about a defaced page from a 360 px phone and sees no internal term or
// staff name, on the form or on the confirmation; then a CSIRT member finds
// the report in the dashboard's intake box on a desktop, reads it and accepts
// it as an incident, and the reporting duty starts then. Everything is found
// by the visible labels and button names, as a person finds it.
//
// Needs a running server seeded with `sokuho demo` (scripts/check.sh starts
// one and sets SOKUHO_URL); its public_min_fill is the default (3 s), so the
// resident takes a few seconds, as people do. Screenshots go to
// build/artifacts/ (*-failed.png when a test fails).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.SOKUHO_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.SOKUHO_CHROMIUM || '/usr/bin/chromium';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'build', 'artifacts');
const PASSWORD = 'demo-password-2026';   // every demo account's (README)
const CSIRT = 'takeuchi.misaki';          // CSIRT (src/org/demo.c)
const WHAT = `市の ホームページの お知らせが 読めない 文字に なっています（ブラウザ試験 ${Date.now()}）`;
const MIN_FILL_MS = 3500;                 // public_min_fill (3 s) and a little
const TIMEOUT = 15000;

// What a resident must never see: roles, internal systems and terms,
// workflow states, and the names of the CSIRT's members and officers.
const INTERNAL = [
	/CSIRT/, /統括/, /CISO/, /最高情報セキュリティ責任者/, /情報セキュリティ管理者/,
	/マイナンバー利用事務系/, /LGWAN/, /ワークフロー/, /workflow/i, /エスカレーション/,
	/受領確認/, /個人情報保護委員会/, /速報/, /報告責任/, /お名前/,
	/松田 和也/, /竹内 美咲/, /小野 雄太/, /中山 慎/, /佐藤 健一/,
];

let browser;
let ref; // the reference the resident was given

before(async () => {
	await mkdir(ARTIFACTS, { recursive: true });
	for (const f of await readdir(ARTIFACTS))
		if (f.startsWith('resident-') && f.endsWith('-failed.png'))
			await rm(path.join(ARTIFACTS, f));
	browser = await chromium.launch({
		executablePath: CHROMIUM,
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
});

async function newPage(contextOptions) {
	const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...contextOptions });
	context.setDefaultTimeout(TIMEOUT);
	const page = await context.newPage();
	return { context, page };
}

async function failureShot(page, name) {
	await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true }).catch(() => {});
}

async function submit(page, name) {
	const mainFrame = page.mainFrame();
	const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === mainFrame });
	await page.getByRole('button', { name }).click();
	await navigated;
	await page.waitForLoadState();
}

async function choose(page, label, text) {
	const select = page.getByLabel(label);
	const option = select.locator('option').filter({ hasText: text });
	assert.equal(await option.count(), 1, `no single option ${text} in ${label}`);
	await select.selectOption(await option.getAttribute('value'));
}

function assertNothingInternal(text, where) {
	for (const word of INTERNAL)
		assert.doesNotMatch(text, word, `the resident sees ${word} on ${where}`);
}

test('a resident tells the city from a phone and sees nothing internal', async () => {
	const { context, page } = await newPage({
		viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
	});
	try {
		const res = await page.goto(`${BASE}/report/public`);
		assert.equal(res.status(), 200);
		assertNothingInternal(await page.locator('body').innerText(), 'the form');
		// English is one click away, and back
		await page.getByRole('link', { name: 'English' }).click();
		await assert.doesNotReject(page.getByLabel(/What happened/).waitFor(), 'no English form');
		assertNothingInternal(await page.locator('body').innerText(), 'the English form');
		await page.getByRole('link', { name: '日本語' }).click();

		await page.getByLabel(/何が ありましたか/).fill(WHAT);
		await page.getByLabel(/いつですか/).fill('きょうの 朝 9時ごろ');
		await page.getByLabel(/どこですか/).fill('https://www.city.example.jp/oshirase/');
		await page.getByLabel(/あなたの 連絡先/).fill('resident@example.jp');
		await page.screenshot({ path: path.join(ARTIFACTS, 'resident-form-phone.png'), fullPage: true });
		// people take a few seconds; a form sent at once is a robot's
		await page.waitForTimeout(MIN_FILL_MS);
		await submit(page, /^送る$/);

		const heading = page.getByRole('heading', { name: /受け付けました/ });
		await assert.doesNotReject(heading.waitFor(), 'no confirmation');
		const body = await page.locator('body').innerText();
		const m = body.match(/INC-\d{4}-\d{4,}/);
		assert.ok(m, 'no reference (受付番号) on the confirmation');
		ref = m[0];
		assert.match(body, /受付番号/);
		assert.match(body, /これから どうなりますか/, 'what happens next is not said');
		assert.match(body, /富士吉田市/, 'no city on the confirmation');
		assert.match(body, /電話/, 'no telephone number to call');
		assertNothingInternal(body, 'the confirmation');
		const width = await page.evaluate(() => document.documentElement.scrollWidth);
		assert.ok(width <= 360, `the confirmation scrolls sideways (${width} px)`);
		await page.screenshot({ path: path.join(ARTIFACTS, 'resident-filed-phone.png'), fullPage: true });
	} catch (err) {
		await failureShot(page, 'resident-phone-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});

test('the CSIRT accepts it from the dashboard and the reporting duty starts', async () => {
	if (!ref)
		assert.fail('no report was filed by the test before');
	const { context, page } = await newPage({ viewport: { width: 1280, height: 800 } });
	try {
		await page.goto(`${BASE}/login`);
		await page.getByLabel(/ログインID/).fill(CSIRT);
		await page.getByLabel(/パスワード/).fill(PASSWORD);
		await submit(page, /ログイン/);
		await page.goto(`${BASE}/dashboard`);
		const box = page.getByRole('region', { name: /外部からの報告（受付待ち）/ });
		await assert.doesNotReject(box.waitFor(), 'no intake box on the dashboard');
		await page.screenshot({ path: path.join(ARTIFACTS, 'resident-dashboard-intake.png'), fullPage: true });
		await box.getByRole('link', { name: ref }).click();
		await page.waitForURL(`${BASE}/intake/${ref}`);
		const item = await page.locator('body').innerText();
		assert.ok(item.includes(WHAT), 'the report is not shown as written');
		assert.ok(item.includes('resident@example.jp'), 'the contact is not shown');
		// the reporting duty has not started: nobody was told yet
		await page.screenshot({ path: path.join(ARTIFACTS, 'resident-intake-item.png'), fullPage: true });

		await page.getByLabel(/何が起きましたか/).fill('市のウェブサイトのお知らせページの文字化け（外部からの報告）');
		await choose(page, /種別/, '改ざん・消失・破壊');
		await page.getByRole('group', { name: /個人情報が含まれますか/ }).getByLabel(/いいえ/).check();
		await submit(page, /インシデントとして受け付ける/);
		await page.waitForURL(`${BASE}/incidents/${ref}`);
		const incident = await page.locator('body').innerText();
		assert.match(incident, /報告受付/, 'the reporting duty did not start');
		await page.screenshot({ path: path.join(ARTIFACTS, 'resident-accepted-incident.png'), fullPage: true });

		// and it left the queue
		await page.goto(`${BASE}/intake`);
		assert.ok(!(await page.locator('main').innerText()).includes(ref), 'still in the queue');
	} catch (err) {
		await failureShot(page, 'resident-csirt-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});
