// The CISO's morning, in a real browser (Debian's headless Chromium driven
// by playwright-core): an employee's report has waited three hours without
// being acknowledged; the CISO signs in, sees it highlighted on the
// dashboard, filters the incident list down to it, opens it and
// acknowledges it. Screenshots of the dashboard at desktop and phone sizes go
// to build/artifacts/ (dashboard-desktop.png, dashboard-phone.png).
//
// Needs a running server on a `sokuho demo` database (scripts/check.sh starts
// one and sets SOKUHO_URL) and psql reaching that database (SOKUHO_DB,
// default sokuho_browser, through the PG* variables pg_virtualenv sets): the
// report is moved three hours into the past there, as if it had been filed
// then — the clock itself is left alone, so other tests' sessions live on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const BASE = (process.env.SOKUHO_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.SOKUHO_CHROMIUM || '/usr/bin/chromium';
const DB = process.env.SOKUHO_DB || 'sokuho_browser';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'build', 'artifacts');
const PASSWORD = 'demo-password-2026';
const REPORTER = 'sakai.haruto'; // staff, 税務課
const CISO = 'sato.kenichi';
const TOKEN = `放置試験${Date.now() % 100000}`;
const SUMMARY = `個人情報を含む書類の誤送付（${TOKEN}）`;
const TIMEOUT = 15000;

let browser;

before(async () => {
	await mkdir(ARTIFACTS, { recursive: true });
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		chromiumSandbox: false,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
		timeout: 30000,
	});
});

after(async () => {
	await browser?.close();
});

async function newPage(options) {
	const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo', ...options });
	context.setDefaultTimeout(TIMEOUT);
	return { context, page: await context.newPage() };
}

async function submit(page, name) {
	const frame = page.mainFrame();
	const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === frame });
	await page.getByRole('button', { name }).first().click();
	await navigated;
	await page.waitForLoadState();
}

async function signIn(page, login) {
	await page.goto(`${BASE}/login`);
	await page.getByLabel(/ログインID/).fill(login);
	await page.getByLabel(/パスワード/).fill(PASSWORD);
	await submit(page, /ログイン/);
	assert.doesNotMatch(new URL(page.url()).pathname, /^\/login/, `${login} could not sign in`);
}

async function choose(page, label, text) {
	const select = page.getByLabel(label);
	const option = select.locator('option').filter({ hasText: text });
	assert.equal(await option.count(), 1, `no single option ${text} in ${label}`);
	await select.selectOption(await option.getAttribute('value'));
}

function psql(sql) {
	return execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', DB, '-c', sql],
		{ encoding: 'utf8' });
}

async function shot(page, name) {
	await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true }).catch(() => {});
}

let ref;

test('an employee files a report that then waits three hours', async () => {
	const { context, page } = await newPage({ viewport: { width: 1280, height: 800 } });
	try {
		await signIn(page, REPORTER);
		await page.goto(`${BASE}/report`);
		await page.getByLabel(/何が起きましたか/).fill(SUMMARY);
		await page.getByLabel(/詳しい状況/).fill('住民票の写しを別の方に郵送してしまいました。');
		await choose(page, /種別/, '情報漏えい');
		await choose(page, /拠点/, '市役所本庁舎');
		await page.getByRole('group', { name: /個人情報が含まれますか/ }).getByLabel(/はい/).check();
		await page.getByLabel(/おおよその人数/).fill('2');
		await submit(page, /報告する/);
		await page.waitForURL(/\/report\/filed\//);
		ref = (await page.locator('body').innerText()).match(/INC-\d{4}-\d{4}/)[0];
		assert.match(ref, /^INC-\d{4}-\d{4}$/);
	} catch (err) {
		await shot(page, 'dashboard-filing-failed.png');
		throw err;
	} finally {
		await context.close();
	}
	// Filed three hours ago, as far as the workflows know: its timers come
	// due now and the engine climbs the escalation ladder.
	psql(`BEGIN;
		UPDATE timer SET fire_at = fire_at - interval '3 hours' WHERE fired_at IS NULL
		  AND run_id IN (SELECT r.id FROM workflow_run r JOIN incident i ON i.id = r.incident_id
		                 WHERE i.ref = '${ref}');
		UPDATE workflow_run SET entered_at = entered_at - interval '3 hours',
		  started_at = started_at - interval '3 hours'
		  WHERE incident_id = (SELECT id FROM incident WHERE ref = '${ref}');
		UPDATE incident SET reported_at = reported_at - interval '3 hours' WHERE ref = '${ref}';
		COMMIT;
		NOTIFY sokuho_wake;`);
});

test('the CISO sees it highlighted on the dashboard, filters, opens it and acts', async () => {
	assert.ok(ref, 'no report was filed by the test before');
	const { context, page } = await newPage({ viewport: { width: 1280, height: 900 } });
	try {
		await signIn(page, CISO);
		await page.getByRole('link', { name: /ダッシュボード/ }).first().click();
		await page.waitForURL(`${BASE}/dashboard`);
		// The engine escalates within moments; the page refreshes itself
		// every 30 seconds, a reload is quicker here.
		const lateRow = page.locator('table.late tr.overdue').filter({ hasText: ref });
		for (let i = 0; i < 40 && (await lateRow.count()) === 0; i++) {
			await page.waitForTimeout(250);
			await page.reload();
		}
		assert.ok((await lateRow.count()) >= 1, `${ref} is not listed as late on the dashboard`);
		// highlighted: the warning colour, bold, and a badge naming the escalation
		const style = await lateRow.first().locator('td').first().evaluate((td) => {
			const s = getComputedStyle(td);
			return { color: s.color, weight: s.fontWeight };
		});
		assert.equal(style.color, 'rgb(164, 0, 15)', 'the late row is not in the warning colour');
		assert.ok(Number(style.weight) >= 700, 'the late row is not bold');
		assert.match(await lateRow.first().innerText(), /エスカレーション/);
		const unacked = page.locator('tr.overdue').filter({ hasText: SUMMARY });
		assert.ok((await unacked.count()) >= 1, 'not among the reports waiting for acknowledgement');
		assert.ok(await page.locator('svg.chart[role="img"]').first().isVisible(), 'no trend chart');
		await shot(page, 'dashboard-desktop.png');

		// The list, filtered as a person would: a word of the summary, the
		// category and "overdue only".
		await page.getByRole('link', { name: /インシデント一覧/ }).first().click();
		await page.waitForURL(/\/incidents$/);
		await page.getByLabel(/キーワード/).fill(TOKEN);
		await choose(page, /^分類/, '情報漏えい');
		await page.getByLabel(/期限超過・エスカレーション中のみ/).check();
		await submit(page, /絞り込む/);
		assert.match(page.url(), /overdue=1/);
		const rows = page.locator('table.incidents tbody tr');
		assert.equal(await rows.count(), 1, 'the filters do not narrow the list to the one report');
		assert.match(await rows.first().getAttribute('class'), /overdue/);
		assert.equal(await page.getByLabel(/キーワード/).inputValue(), TOKEN, 'the search was not kept');
		await page.getByRole('link', { name: ref }).click();
		await page.waitForURL(`${BASE}/incidents/${ref}`);

		// Acts: acknowledges the report on behalf of the section.
		await submit(page, /受領確認/);
		await assert.doesNotReject(page.getByRole('status').filter({ hasText: /./ }).first().waitFor());
		const acked = psql(`SELECT acknowledged_at IS NOT NULL FROM incident WHERE ref = '${ref}'`).trim();
		assert.equal(acked, 't', 'the acknowledgement was not recorded');

		// Back on the dashboard it no longer waits for acknowledgement.
		await page.goto(`${BASE}/dashboard`);
		const waiting = page.locator('section[aria-labelledby="h-unack"] tr').filter({ hasText: ref });
		assert.equal(await waiting.count(), 0, 'still listed as not acknowledged');
	} catch (err) {
		await shot(page, 'dashboard-ciso-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});

test('the dashboard on a phone', async () => {
	const { context, page } = await newPage({
		viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
	});
	try {
		await signIn(page, CISO);
		const res = await page.goto(`${BASE}/dashboard`);
		assert.equal(res.status(), 200);
		const width = await page.evaluate(() => document.documentElement.scrollWidth);
		assert.ok(width <= 360, `the page is ${width} px wide on a 360 px phone`);
		await shot(page, 'dashboard-phone.png');
	} catch (err) {
		await shot(page, 'dashboard-phone-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});

test('the dashboard refreshes itself in place and keeps the keyboard focus', async () => {
	const { context, page } = await newPage({ viewport: { width: 1280, height: 900 } });
	try {
		await signIn(page, CISO);
		await page.goto(`${BASE}/dashboard`);
		const link = page.locator('#dash a[href="/incidents?status=open"]');
		await link.focus();
		// Nothing changed: the refresh gets 304 and the page stays as it is
		// (once more if the minute, part of the ETag, turned meanwhile).
		let status;
		for (let i = 0; i < 3 && status !== 304; i++) {
			await page.evaluate(() => { document.getElementById('dash').dataset.old = 'yes'; });
			const answer = page.waitForResponse((r) => r.url().endsWith('/dashboard') && r.request().method() === 'GET');
			await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
			status = (await answer).status();
			if (status !== 304)
				await page.waitForFunction(() => document.getElementById('dash').dataset.old !== 'yes');
		}
		assert.equal(status, 304, 'an unchanged dashboard was sent again');
		assert.equal(await page.evaluate(() => document.getElementById('dash').dataset.old), 'yes');
		await page.locator('#dash a[href="/incidents?status=open"]').focus();
		// Something happened (any audited event): the new page replaces the
		// old one, and the same link has the focus again.
		psql(`INSERT INTO audit_event (kind, detail) VALUES ('test.dashboard_refresh', '{}')`);
		const changed = page.waitForResponse((r) => r.url().endsWith('/dashboard') && r.status() === 200);
		await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
		await changed;
		await page.waitForFunction(() => document.getElementById('dash').dataset.old !== 'yes');
		assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '/incidents?status=open',
			'the focus was lost by the refresh');
	} catch (err) {
		await shot(page, 'dashboard-refresh-failed.png');
		throw err;
	} finally {
		await context.close();
	}
});
