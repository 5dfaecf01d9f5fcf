// Accessibility and valid HTML of every page (issue 7): axe-core's WCAG 2.1
// A/AA rules in the real browser at a desktop width (1280 px) and a phone's
// (360 px, where nothing may scroll sideways); the report form completed with
// the keyboard alone; the incident page on A4 paper; and the Nu HTML Checker
// (vnu.jar, one JVM for all the pages) over the HTML exactly as the server
// sent it.
//
// Needs a running server seeded with `sokuho demo` (SOKUHO_URL), Java for
// vnu.jar (SOKUHO_JAVA overrides `java`), and `npm ci` in tests/browser.
// Run by hand:
//   SOKUHO_URL=http://127.0.0.1:8080 node --test tests/browser/a11y.test.mjs
// SOKUHO_AXE_BEST_PRACTICE=1 adds axe's best-practice rules to WCAG's.
// Pages that are still being built (/dashboard, /review) are skipped, with a
// note in the output, only while they answer 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core');         // axe.js, injected into each page
const VNU = String(require('vnu-jar'));          // the path of vnu.jar
const BASE = (process.env.SOKUHO_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const CHROMIUM = process.env.SOKUHO_CHROMIUM || '/usr/bin/chromium';
const JAVA = process.env.SOKUHO_JAVA || 'java';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = path.join(ROOT, 'build', 'artifacts');
const PASSWORD = 'demo-password-2026';   // every demo account's (README)
const STAFF = 'sakai.haruto';             // staff, 税務課 (src/org/demo.c)
const CISO = 'sato.kenichi';              // CISO: sees every incident, the dashboard
const ADMIN = 'tamura.haruka';            // system administrator
const CSIRT = 'takeuchi.misaki';          // CSIRT: records a legal report as submitted
const SUMMARY = `個人情報を含むメールを誤送信しました（アクセシビリティ試験 ${Date.now()}）`;
const DETAILS = '住民税の通知書のPDFを別の事業者に送ってしまいました。';
const TIMEOUT = 15000;
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
	// axe's best practices too (landmarks, heading order...) when asked
	...(process.env.SOKUHO_AXE_BEST_PRACTICE ? ['best-practice'] : [])];
// Pages being built by others: skipped only while they answer 404.
const PENDING = new Set(['/dashboard', '/review']);

let browser;
let tmp;
let ref;                // the reference of the report filed by keyboard
let outsideRef;         // a resident's report waiting in the intake queue
const sessions = {};    // login -> storage state (the session cookie)

before(async () => {
	tmp = await mkdtemp(path.join(tmpdir(), 'sokuho-a11y-'));
	await mkdir(ARTIFACTS, { recursive: true });
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
	for (const login of [STAFF, CISO, ADMIN, CSIRT]) {
		const context = await browser.newContext({ locale: 'ja-JP', timezoneId: 'Asia/Tokyo' });
		context.setDefaultTimeout(TIMEOUT);
		const page = await context.newPage();
		await page.goto(`${BASE}/login`);
		await page.getByLabel(/ログインID/).fill(login);
		await page.getByLabel(/パスワード/).fill(PASSWORD);
		await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')),
			page.getByRole('button', { name: /ログイン/ }).click()]);
		sessions[login] = await context.storageState();
		await context.close();
	}
	outsideRef = await fileOutsideReport('ホームページの 文字が おかしいです（アクセシビリティ試験）');
});

// Files a resident's report through the residents' window as a browser
// would (the form's CSRF cookie and token and its signed time; a person
// takes longer than public_min_fill, 3 s) and returns its reference.
async function fileOutsideReport(what) {
	const form = await fetch(`${BASE}/report/public`);
	const html = await form.text();
	const cookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
	const field = (name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))[1];
	const body = new FormData();
	body.set('csrf', field('csrf'));
	body.set('fill', field('fill'));
	body.set('what', what);
	await new Promise((r) => setTimeout(r, 3500));
	const res = await fetch(`${BASE}/report/public`, { method: 'POST', body, headers: { cookie } });
	const m = (await res.text()).match(/INC-\d{4}-\d{4,}/);
	assert.ok(res.status === 200 && m, `the residents' form answered ${res.status}`);
	return m[0];
}

after(async () => {
	await browser?.close();
	if (tmp)
		await rm(tmp, { recursive: true, force: true });
});

// A browser context signed in as `login` (none: anonymous). The server's CSP
// forbids inline and injected scripts, so axe is only possible with the CSP
// bypassed; the pages themselves need no script.
async function newContext(login, viewport) {
	const context = await browser.newContext({
		locale: 'ja-JP', timezoneId: 'Asia/Tokyo', bypassCSP: true,
		storageState: login ? sessions[login] : undefined,
		...(viewport.width <= 400
			? { viewport, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
			: { viewport }),
	});
	context.setDefaultTimeout(TIMEOUT);
	return context;
}

// The pages checked: who looks at them, and what status each must answer.
function pages() {
	const list = [
		{ name: 'login', path: '/login', as: null },
		{ name: 'home (signed out)', path: '/', as: null },
		{ name: "residents' form", path: '/report/public', as: null },
		{ name: "residents' form with errors", path: '/report/public', as: null, resident: 'empty' },
		{ name: "residents' confirmation", path: '/report/public', as: null, resident: 'file' },
		{ name: 'error page', path: '/no-such-page', as: null, status: 404 },
		{ name: 'acknowledge (bad link)', path: '/ack/not-a-token', as: null, status: 400 },
		{ name: 'home', path: '/', as: STAFF },
		{ name: 'report form', path: '/report', as: STAFF },
		{ name: 'report form with errors', path: '/report', as: STAFF, submitEmpty: true },
		{ name: 'my reports', path: '/my/reports', as: STAFF },
		{ name: 'incident list', path: '/incidents', as: CISO },
		{ name: 'dashboard', path: '/dashboard', as: CISO },
		{ name: 'intake queue', path: '/intake', as: CISO },
		{ name: 'annual review', path: '/review', as: CISO },
		{ name: 'people (admin)', path: '/admin/people', as: ADMIN },
		{ name: 'new person (admin)', path: '/admin/people/new', as: ADMIN },
		{ name: 'person (admin)', path: `/admin/people/${STAFF}`, as: ADMIN },
		{ name: 'API tokens (admin)', path: '/admin/tokens', as: ADMIN },
		{ name: 'own API tokens', path: '/account/tokens', as: STAFF },
		{ name: 'change password', path: '/account/password', as: STAFF },
		{ name: 'workflows (admin)', path: '/admin/workflows', as: ADMIN },
		{ name: 'mail outbox (admin)', path: '/admin/outbox', as: ADMIN },
	];
	if (outsideRef)
		list.push({ name: 'outside report (intake)', path: `/intake/${outsideRef}`, as: CISO });
	if (ref) {
		list.push({ name: 'report filed', path: `/report/filed/${ref}`, as: STAFF });
		list.push({ name: 'incident', path: `/incidents/${ref}`, as: CISO });
		list.push({ name: 'incident (reporter)', path: `/incidents/${ref}`, as: STAFF });
		list.push({ name: 'incident (CSIRT, submission form)', path: `/incidents/${ref}`, as: CSIRT });
	}
	// English pages last: the language choice may stay with the session
	list.push({ name: 'login (English)', path: '/login?lang=en', as: null });
	list.push({ name: "residents' form (English)", path: '/report/public?lang=en', as: null });
	list.push({ name: 'report form (English)', path: '/report?lang=en', as: STAFF });
	if (ref)
		list.push({ name: 'incident (English)', path: `/incidents/${ref}?lang=en`, as: CISO });
	return list;
}

function describe(v) {
	const nodes = v.nodes.map((n) => `      ${n.target.join(' ')}${n.failureSummary
		? `\n        ${n.failureSummary.replace(/\n\s*/g, '; ')}` : ''}`).join('\n');
	return `    ${v.id} (${v.impact}): ${v.help}\n${nodes}`;
}

// Opens each page in a browser of the given width and runs axe on it;
// returns the problems found, one string per page.
async function audit(viewport) {
	const problems = [];
	const contexts = new Map();
	try {
		for (const p of pages()) {
			if (!contexts.has(p.as))
				contexts.set(p.as, await newContext(p.as, viewport));
			const page = await contexts.get(p.as).newPage();
			try {
				const res = await page.goto(`${BASE}${p.path}`);
				if (PENDING.has(p.path) && res.status() === 404) {
					console.log(`# SKIPPED ${p.path} (${p.name}): answers 404, not built yet`);
					continue;
				}
				if (res.status() !== (p.status || 200)) {
					problems.push(`  ${p.name} ${p.path}: status ${res.status()}, not ${p.status || 200}`);
					continue;
				}
				if (p.resident) {
					// what a resident sees after sending: the form with its
					// errors (nothing written), or the confirmation
					if (p.resident === 'file')
						await page.getByLabel(/何が ありましたか/).fill('駅前の 掲示板の QRコードが あやしい（アクセシビリティ試験）');
					await page.waitForTimeout(3500);
					await Promise.all([page.waitForEvent('load'),
						page.getByRole('button', { name: /^送る$/ }).click()]);
					const want = p.resident === 'file' ? /受け付けました/ : /ここに 書いてください/;
					if (!want.test(await page.locator('main').innerText()))
						problems.push(`  ${p.name}: the residents' form did not answer as expected`);
				}
				if (p.submitEmpty) {
					await Promise.all([page.waitForEvent('load'),
						page.getByRole('button', { name: /報告する/ }).click()]);
					if (await page.getByRole('alert').count() === 0)
						problems.push(`  ${p.name}: the empty report brought no error summary`);
				}
				await page.addScriptTag({ path: AXE });
				const result = await page.evaluate((tags) => window.axe.run(document, {
					runOnly: { type: 'tag', values: tags },
					resultTypes: ['violations'],
				}), WCAG);
				const found = [];
				for (const v of result.violations)
					found.push(describe(v));
				if (viewport.width <= 400) {
					const { scroll, wide } = await page.evaluate((width) => ({
						scroll: document.documentElement.scrollWidth,
						wide: [...document.querySelectorAll('body *')]
							.filter((e) => e.getBoundingClientRect().right > width + 1)
							.slice(0, 5)
							.map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''} (right ${Math.round(e.getBoundingClientRect().right)})`),
					}), viewport.width);
					if (scroll > viewport.width)
						found.push(`    scrolls sideways: scrollWidth ${scroll} > ${viewport.width}; too wide: ${wide.join(', ')}`);
				}
				if (found.length) {
					const shot = `a11y-${viewport.width}-${p.name.replace(/\W+/g, '-')}-failed.png`;
					await page.screenshot({ path: path.join(ARTIFACTS, shot), fullPage: true }).catch(() => {});
					problems.push(`  ${p.name} ${p.path} at ${viewport.width} px (${shot}):\n${found.join('\n')}`);
				}
			} finally {
				await page.close();
			}
		}
	} finally {
		for (const c of contexts.values())
			await c.close();
	}
	return problems;
}

test('the report form can be completed with the keyboard alone', async () => {
	const context = await newContext(STAFF, { width: 1280, height: 800 });
	const page = await context.newPage();
	try {
		assert.equal((await page.goto(`${BASE}/report`)).status(), 200);
		// The first tab stop is the skip link, and it leads to the main content.
		await page.keyboard.press('Tab');
		const first = await page.evaluate(() => {
			const e = document.activeElement;
			return { cls: e.className, href: e.getAttribute('href'), tag: e.tagName };
		});
		assert.equal(first.tag, 'A', 'the first tab stop is not a link');
		assert.equal(first.href, '#main', 'the first tab stop is not the skip link');
		assert.ok(await page.evaluate(() => {
			const r = document.activeElement.getBoundingClientRect();
			return r.width > 1 && r.height > 1 && r.top >= 0;
		}), 'the skip link does not show when focused');

		// Tab from field to field, as a person without a mouse does; every
		// stop shows where the focus is.
		const focused = () => page.evaluate(() => {
			const e = document.activeElement;
			const s = getComputedStyle(e);
			return {
				id: e.id, tag: e.tagName.toLowerCase(), type: e.type || '',
				name: e.getAttribute('name') || '', value: e.value || '',
				text: (e.innerText || '').trim().slice(0, 40),
				ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none',
			};
		});
		const noRing = new Set();
		const tabTo = async (want, limit = 80) => {
			for (let i = 0; i < limit; i++) {
				await page.keyboard.press('Tab');
				const f = await focused();
				if (!f.ring)
					noRing.add(`${f.tag}${f.id ? '#' + f.id : ''}${f.name ? `[name=${f.name}]` : ''} ${f.text}`.trim());
				if (want(f))
					return f;
			}
			assert.fail(`tabbing did not reach the field wanted: ${want}`);
		};
		await tabTo((f) => f.id === 'summary');
		await page.keyboard.type(SUMMARY);
		await tabTo((f) => f.id === 'description', 2);
		await page.keyboard.type(DETAILS);
		const disc = await tabTo((f) => f.id === 'discovered_at', 2);
		assert.notEqual(disc.value, '', 'no default discovered time');
		await tabTo((f) => f.id === 'category');
		await page.keyboard.press('ArrowDown');
		assert.notEqual(await page.locator('#category').inputValue(), '', 'the category cannot be chosen with the arrow keys');
		await tabTo((f) => f.id === 'site');
		await page.keyboard.press('ArrowDown');
		assert.notEqual(await page.locator('#site').inputValue(), '', 'the site cannot be chosen with the arrow keys');
		await tabTo((f) => f.name === 'segments' && f.value === 'lgwan');
		await page.keyboard.press('Space');
		await tabTo((f) => f.name === 'pd_involved');
		// a radio group is one tab stop; the arrow keys choose within it
		await page.keyboard.press('Space');
		assert.ok(await page.locator('input[name=pd_involved][value=yes]').isChecked(), 'no answer chosen with the keyboard');
		await tabTo((f) => f.id === 'pd_persons');
		await page.keyboard.type('3');
		await tabTo((f) => f.tag === 'button' && /報告する/.test(f.text));
		await Promise.all([page.waitForURL(/\/report\/filed\//), page.keyboard.press('Enter')]);
		const m = (await page.locator('body').innerText()).match(/INC-\d{4}-\d{4}/);
		assert.ok(m, 'no reference on the confirmation');
		ref = m[0];
		assert.deepEqual([...noRing], [], 'tab stops without a visible focus indicator');
	} catch (err) {
		await page.screenshot({ path: path.join(ARTIFACTS, 'a11y-keyboard-failed.png'), fullPage: true }).catch(() => {});
		throw err;
	} finally {
		await context.close();
	}
});

test('axe finds no WCAG 2.1 A/AA violation at 1280 px', async () => {
	const problems = await audit({ width: 1280, height: 800 });
	assert.ok(problems.length === 0, `axe-core violations:\n${problems.join('\n')}`);
});

test('axe finds no WCAG 2.1 A/AA violation at 360 px, and nothing scrolls sideways', async () => {
	const problems = await audit({ width: 360, height: 740 });
	assert.ok(problems.length === 0, `axe-core violations at 360 px:\n${problems.join('\n')}`);
});

test('the incident page prints on A4: no navigation or buttons, nothing cut off', async () => {
	if (!ref)
		assert.fail('no report was filed by the keyboard test');
	// A4 less 15 mm margins each side is about 680 CSS px wide
	const context = await newContext(CISO, { width: 680, height: 960 });
	const page = await context.newPage();
	try {
		assert.equal((await page.goto(`${BASE}/incidents/${ref}`)).status(), 200);
		await page.emulateMedia({ media: 'print' });
		const shown = await page.evaluate(() => [...document.querySelectorAll('header.site, nav, button, .button, .skip')]
			.filter((e) => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0)
			.map((e) => e.outerHTML.slice(0, 80)));
		assert.deepEqual(shown, [], 'navigation or buttons on paper');
		const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
		assert.ok(scroll <= 680, `the printed page is ${scroll} px wide, more than A4's 680`);
		await page.pdf({ path: path.join(ARTIFACTS, 'incident-print.pdf'), format: 'A4',
			margin: { top: '15mm', bottom: '15mm', left: '15mm', right: '15mm' } });
	} finally {
		await context.close();
	}
});

test('the Nu HTML Checker finds no error in the HTML as served', async () => {
	const files = new Map();    // file -> page
	const contexts = new Map();
	const wrong = [];   // pages that did not answer as they should
	try {
		let n = 0;
		for (const p of pages()) {
			if (p.submitEmpty || p.resident)
				continue;   // a POST answer; its form is the same template
			if (!contexts.has(p.as))
				contexts.set(p.as, await newContext(p.as, { width: 1280, height: 800 }));
			const res = await contexts.get(p.as).request.get(`${BASE}${p.path}`, { maxRedirects: 0 });
			if (PENDING.has(p.path) && res.status() === 404) {
				console.log(`# SKIPPED ${p.path} (${p.name}): answers 404, not built yet`);
				continue;
			}
			if (res.status() !== (p.status || 200)) {
				wrong.push(`  GET ${p.path} as ${p.as || 'nobody'}: status ${res.status()}, not ${p.status || 200}`);
				continue;
			}
			const file = path.join(tmp, `${String(++n).padStart(2, '0')}-${p.name.replace(/\W+/g, '-')}.html`);
			await writeFile(file, await res.body());
			files.set(file, p);
		}
	} finally {
		for (const c of contexts.values())
			await c.close();
	}
	const out = await new Promise((resolve, reject) => {
		execFile(JAVA, ['-jar', VNU, '--errors-only', '--format', 'json', ...files.keys()],
			{ maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
				// vnu writes its report to stderr and exits 1 when it finds errors
				if (err && !stderr.trim().startsWith('{'))
					reject(new Error(`vnu.jar failed: ${err.message}\n${stderr}`));
				else
					resolve(stderr.trim() || '{"messages":[]}');
			});
	});
	const { messages } = JSON.parse(out);
	const errors = messages.filter((m) => m.type === 'error' || m.subType === 'fatal');
	const byPage = new Map();
	for (const m of errors) {
		const file = m.url ? fileURLToPath(m.url) : '?';
		const p = files.get(file);
		const key = p ? `${p.name} ${p.path}` : file;
		if (!byPage.has(key))
			byPage.set(key, []);
		byPage.get(key).push(`    line ${m.lastLine}: ${m.message}${m.extract ? `\n      ${m.extract.replace(/\s+/g, ' ').trim()}` : ''}`);
	}
	const report = [...byPage].map(([k, v]) => `  ${k}:\n${v.join('\n')}`).join('\n');
	assert.equal(errors.length, 0, `Nu HTML Checker errors:\n${report}${wrong.length ? `\nand not checked:\n${wrong.join('\n')}` : ''}`);
	assert.deepEqual(wrong, [], 'pages not checked');
});
