// The national holidays Sokuho computes from the rules of 祝日法
// (src/core/calendar.c), compared day by day for 2000-2030 with an
// independent list: the npm package @holiday-jp/holiday_jp (a devDependency
// here, read where npm installed it, never copied into the project). A day
// that one list has and the other lacks fails the test, and so does a day
// whose name differs (the package writes 振替休日 as "元日 振替休日" and
// 国民の休日 as "休日"; those are mapped onto Sokuho's names first).
//
// No browser and no server: it runs `sokuho calendar holidays 2000 2030`
// ($SOKUHO_BIN, as scripts/check.sh sets it, else build/sokuho). It lives
// here because this folder's node_modules is the project's one npm install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.resolve(ROOT, process.env.SOKUHO_BIN || 'build/sokuho');
const FIRST = 2000;
const LAST = 2030;

const require = createRequire(import.meta.url);
const holidayJp = require('@holiday-jp/holiday_jp');

// The package's name of a day, in Sokuho's words.
function expectedName(name) {
	if (name.endsWith(' 振替休日')) return '振替休日';
	if (name === '休日') return '国民の休日';
	// 2019's 体育の日: the rename to スポーツの日 took effect in 2020
	if (name === '体育の日（スポーツの日）') return '体育の日';
	return name;
}

function sokuhoHolidays() {
	const out = execFileSync(BIN, ['calendar', 'holidays', String(FIRST), String(LAST)], {
		encoding: 'utf8',
	});
	const days = new Map();
	for (const line of out.split('\n')) {
		if (line === '') continue;
		const m = /^(\d{4}-\d{2}-\d{2})\t(.+)$/.exec(line);
		assert.ok(m, `unexpected line from sokuho calendar holidays: '${line}'`);
		assert.ok(!days.has(m[1]), `${m[1]} printed twice`);
		days.set(m[1], m[2]);
	}
	return days;
}

test(`national holidays ${FIRST}-${LAST} agree with @holiday-jp/holiday_jp ${holidayJp.VERSION}`, () => {
	const ours = sokuhoHolidays();
	const theirs = new Map();
	for (const [date, h] of Object.entries(holidayJp.holidays)) {
		const y = Number(date.slice(0, 4));
		if (y >= FIRST && y <= LAST) theirs.set(date, h.name);
	}
	// The package covers these years: an empty or short list would pass
	// vacuously.
	assert.ok(theirs.size > 15 * (LAST - FIRST + 1), `only ${theirs.size} holidays in the package`);

	const problems = [];
	for (const [date, name] of theirs) {
		if (!ours.has(date)) {
			problems.push(`${date} ${name}: a holiday in the package, not in sokuho`);
			continue;
		}
		const want = expectedName(name);
		const got = ours.get(date);
		// 2019's 即位 days: the package says 休日（祝日扱い）, sokuho names the day
		if (name === '休日（祝日扱い）' ? !got.startsWith('休日（') : got !== want)
			problems.push(`${date}: sokuho says '${got}', the package '${name}'`);
	}
	for (const [date, name] of ours)
		if (!theirs.has(date)) problems.push(`${date} ${name}: a holiday in sokuho, not in the package`);
	assert.deepEqual(problems, [], problems.join('\n'));
	// every day of the years was looked at: both lists cover the same days
	assert.equal(ours.size, theirs.size);
});
