/* The demo city (see demo.h), modelled on a city of about 50,000 people at
 * the foot of Mt Fuji. Every name is invented; e-mail addresses use the
 * reserved city.example.jp domain, so no mail can reach a real person.
 *
 * The chart follows the guideline's roles: the deputy mayor is the CISO,
 * the head of 情報政策課 (IT policy, under 企画部) is the 統括情報セキュリ
 * ティ責任者 and runs the CSIRT, each 部長 is the 情報セキュリティ責任者 of
 * their department, each 課長 the 情報セキュリティ管理者 of their section
 * with the 課長補佐 as first deputy, and each information system has a
 * manager (the 係長 who runs it) and a deputy. */
#include "demo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "core/xalloc.h"
#include "db/audit.h"
#include "db/locks.h"
#include "db/db.h"
#include "people.h"

struct demo_unit {
	const char *code, *parent, *name_ja, *name_en, *site;
};

static const struct demo_unit departments[] = {
	{"somu", NULL, "総務部", "General Affairs Department", "honchosha"},
	{"kikaku", NULL, "企画部", "Planning Department", "higashi"},
	{"shimin", NULL, "市民部", "Citizens' Affairs Department", "honchosha"},
	{"fukushi", NULL, "福祉部", "Health and Welfare Department", "fukushi-hall"},
	{"kosodate", NULL, "子育て支援部", "Child-rearing Support Department", "fukushi-hall"},
	{"kankyo", NULL, "環境部", "Environment Department", "kankyo-bika"},
	{"toshi", NULL, "都市整備部", "Urban Development Department", "nishi-bekkan"},
	{"kyoiku", NULL, "教育委員会事務局", "Board of Education Secretariat", "higashi"},
};

static const struct demo_unit sections[] = {
	{"somu-ka", "somu", "総務課", "General Affairs Division", "honchosha"},
	{"jinji", "somu", "人事課", "Personnel Division", "honchosha"},
	{"kaikei", "somu", "会計課", "Accounting Division", "honchosha"},
	{"joho-seisaku", "kikaku", "情報政策課", "IT Policy Division", "higashi"},
	{"koho", "kikaku", "広報広聴課", "Public Relations Division", "higashi"},
	{"shimin-ka", "shimin", "市民課", "Citizens' Records Division", "honchosha"},
	{"zeimu", "shimin", "税務課", "Taxation Division", "honchosha"},
	{"fukushi-ka", "fukushi", "福祉課", "Welfare Division", "fukushi-hall"},
	{"kenko", "fukushi", "健康長寿課", "Health and Longevity Division", "fukushi-hall"},
	{"kango", "fukushi", "看護専門学校事務局", "Nursing College Office", "kango"},
	{"kosodate-ka", "kosodate", "子育て支援課", "Child-rearing Support Division",
	 "fukushi-hall"},
	{"hoiku", "kosodate", "保育課", "Nursery Division", "hoikuen"},
	{"kankyo-bika", "kankyo", "環境美化課", "Environmental Cleanup Division",
	 "kankyo-bika"},
	{"seikatsu-kankyo", "kankyo", "生活環境課", "Living Environment Division", "shinyo"},
	{"toshi-keikaku", "toshi", "都市計画課", "City Planning Division", "nishi-bekkan"},
	{"doboku", "toshi", "土木課", "Civil Engineering Division", "nishi-bekkan"},
	{"kyoiku-somu", "kyoiku", "教育総務課", "Education General Affairs Division", "higashi"},
	{"kyushoku", "kyoiku", "学校給食課", "School Lunch Division", "kyushoku"},
	{"toshokan", "kyoiku", "図書館", "Library", "toshokan"},
	{"bunka", "kyoiku", "文化振興課（ふじさんミュージアム）",
	 "Cultural Promotion Division (Fujisan Museum)", "museum"},
};

static const struct demo_system {
	const char *code, *name_ja, *name_en, *section, *segment;
} systems[] = {
	{"juki", "住民記録システム", "Resident records system", "shimin-ka", "mynumber"},
	{"zaimu", "財務会計システム", "Financial accounting system", "kaikei", "lgwan"},
	{"website", "公式ウェブサイト", "Official website", "koho", "internet"},
	{"library", "図書館システム", "Library system", "toshokan", "internet"},
};

struct demo_person {
	const char *login, *name, *section, *kind, *lang, *title;
};

#define STAFF(login, name, section, title) {login, name, section, "staff", "ja", title}

static const struct demo_person people[] = {
	STAFF("sato.kenichi", "佐藤 健一", "somu-ka", "副市長"),
	/* department heads (部長) */
	STAFF("watanabe.hiroshi", "渡辺 浩", "somu-ka", "総務部長"),
	STAFF("horiuchi.masaki", "堀内 正樹", "joho-seisaku", "企画部長"),
	STAFF("hata.yoshiko", "羽田 良子", "shimin-ka", "市民部長"),
	STAFF("osano.takeshi", "小佐野 武", "fukushi-ka", "福祉部長"),
	STAFF("miyashita.keiko", "宮下 恵子", "kosodate-ka", "子育て支援部長"),
	STAFF("amano.shigeru", "天野 茂", "kankyo-bika", "環境部長"),
	STAFF("okuwaki.tetsuya", "奥脇 哲也", "toshi-keikaku", "都市整備部長"),
	STAFF("tanabe.michiko", "田辺 美智子", "kyoiku-somu", "教育部長"),
	/* section heads (課長) and their deputies (課長補佐) */
	STAFF("takahashi.makoto", "高橋 誠", "somu-ka", "総務課長"),
	STAFF("suzuki.yumi", "鈴木 由美", "somu-ka", "総務課長補佐"),
	STAFF("ito.naoki", "伊藤 直樹", "jinji", "人事課長"),
	STAFF("kato.ayumi", "加藤 あゆみ", "jinji", "人事課長補佐"),
	STAFF("yamamoto.osamu", "山本 修", "kaikei", "会計課長"),
	STAFF("nakamura.kaori", "中村 香織", "kaikei", "会計課長補佐"),
	STAFF("watanabe.daisuke", "渡辺 大輔", "joho-seisaku", "情報政策課長"),
	STAFF("hayashi.tomoko", "林 智子", "joho-seisaku", "情報政策課長補佐"),
	STAFF("inoue.takuya", "井上 拓也", "koho", "広報広聴課長"),
	STAFF("kimura.sachiko", "木村 幸子", "koho", "広報広聴課長補佐"),
	STAFF("saito.hideo", "斎藤 秀雄", "shimin-ka", "市民課長"),
	STAFF("shimizu.naomi", "清水 直美", "shimin-ka", "市民課長補佐"),
	STAFF("yamazaki.tsutomu", "山崎 努", "zeimu", "税務課長"),
	STAFF("mori.akiko", "森 明子", "zeimu", "税務課長補佐"),
	STAFF("abe.shinji", "阿部 真二", "fukushi-ka", "福祉課長"),
	STAFF("ishikawa.junko", "石川 純子", "fukushi-ka", "福祉課長補佐"),
	STAFF("yamashita.minoru", "山下 稔", "kenko", "健康長寿課長"),
	STAFF("nakajima.rie", "中島 理恵", "kenko", "健康長寿課長補佐"),
	STAFF("ishii.yoko", "石井 洋子", "kango", "看護専門学校事務長"),
	STAFF("ogawa.satoshi", "小川 聡", "kango", "看護専門学校事務長補佐"),
	STAFF("maeda.kenji", "前田 健二", "kosodate-ka", "子育て支援課長"),
	STAFF("okada.megumi", "岡田 恵", "kosodate-ka", "子育て支援課長補佐"),
	STAFF("hasegawa.emiko", "長谷川 恵美子", "hoiku", "保育課長"),
	STAFF("fujita.yuka", "藤田 由佳", "hoiku", "保育課長補佐"),
	STAFF("goto.masao", "後藤 正雄", "kankyo-bika", "環境美化課長"),
	STAFF("kondo.takashi", "近藤 隆", "kankyo-bika", "環境美化課長補佐"),
	STAFF("murakami.akira", "村上 明", "seikatsu-kankyo", "生活環境課長"),
	STAFF("endo.shota", "遠藤 翔太", "seikatsu-kankyo", "生活環境課長補佐"),
	STAFF("aoki.hiroyuki", "青木 宏之", "toshi-keikaku", "都市計画課長"),
	STAFF("sakamoto.mai", "坂本 舞", "toshi-keikaku", "都市計画課長補佐"),
	STAFF("fukuda.noboru", "福田 昇", "doboku", "土木課長"),
	STAFF("ota.ryo", "太田 亮", "doboku", "土木課長補佐"),
	STAFF("nishimura.kazuko", "西村 和子", "kyoiku-somu", "教育総務課長"),
	STAFF("fujii.takeshi", "藤井 健", "kyoiku-somu", "教育総務課長補佐"),
	STAFF("kaneko.yasushi", "金子 靖", "kyushoku", "学校給食課長"),
	STAFF("okamoto.chie", "岡本 千恵", "kyushoku", "学校給食課長補佐"),
	STAFF("fujiwara.shizuka", "藤原 静香", "toshokan", "図書館長"),
	STAFF("nakano.yusuke", "中野 雄介", "toshokan", "図書館長補佐"),
	STAFF("miura.jun", "三浦 潤", "bunka", "文化振興課長（ミュージアム館長）"),
	STAFF("harada.aya", "原田 彩", "bunka", "文化振興課長補佐"),
	/* the IT policy section: CSIRT and administration */
	STAFF("matsuda.kazuya", "松田 和也", "joho-seisaku", "情報政策課 情報セキュリティ係長"),
	STAFF("takeuchi.misaki", "竹内 美咲", "joho-seisaku", "情報政策課 主任"),
	STAFF("ono.yuta", "小野 雄太", "joho-seisaku", "情報政策課 主事"),
	STAFF("tamura.haruka", "田村 遥", "joho-seisaku", "情報政策課 システム管理担当"),
	STAFF("nakayama.shin", "中山 慎", "somu-ka", "総務課 文書法務係 主査"),
	/* internal audit */
	STAFF("wada.tomomi", "和田 友美", "somu-ka", "監査委員事務局 主査（総務課兼務）"),
	STAFF("ishida.koichi", "石田 浩一", "somu-ka", "監査委員事務局 係長（総務課兼務）"),
	/* the people who run the information systems */
	STAFF("morita.kenta", "森田 健太", "shimin-ka", "市民課 住民記録係長"),
	STAFF("ueda.noriko", "上田 典子", "kaikei", "会計課 出納係長"),
	STAFF("uchida.sho", "内田 翔", "koho", "広報広聴課 広報係長"),
	STAFF("shibata.ayako", "柴田 綾子", "toshokan", "図書館 司書係長"),
	/* everyone else */
	STAFF("sakai.haruto", "酒井 陽翔", "zeimu", "税務課 主事"),
	STAFF("miyazaki.sakura", "宮崎 さくら", "kosodate-ka", "子育て支援課 主事"),
	STAFF("kudo.misato", "工藤 美里", "hoiku", "保育課 保育士"),
	STAFF("yokoyama.ren", "横山 蓮", "doboku", "土木課 技師"),
	{"emily.carter", "Emily Carter", "koho", "staff", "en", "国際交流員 (CIR)"},
	{"james.miller", "James Miller", "kyoiku-somu", "staff", "en", "外国語指導助手 (ALT)"},
	{"maria.santos", "Maria Santos", "shimin-ka", "staff", "en", "多文化共生相談員"},
	{"nagai.tsubasa", "永井 翼", "shimin-ka", "contractor", "ja",
	 "委託: 住民記録システム保守"},
	{"kubota.rina", "久保田 里奈", "koho", "contractor", "ja", "委託: ウェブサイト運用"},
	{"hirano.daiki", "平野 大輝", "toshokan", "contractor", "ja", "委託: 図書館システム保守"},
	/* a service account: the monitoring system files reports with its token */
	{"kanshi", "統合監視システム", "joho-seisaku", "service", "ja", "サービスアカウント"},
};

struct demo_role {
	const char *login, *role, *scope_kind, *scope_code;
	int deputy;
};

static const struct demo_role roles[] = {
	{"sato.kenichi", "ciso", "city", NULL, 0},
	{"watanabe.hiroshi", "ciso", "city", NULL, 1},
	{"watanabe.daisuke", "chief_security_officer", "city", NULL, 0},
	{"hayashi.tomoko", "chief_security_officer", "city", NULL, 1},
	{"matsuda.kazuya", "chief_security_officer", "city", NULL, 2},
	/* 部長 and a 課長 of the department as deputy */
	{"watanabe.hiroshi", "security_officer", "department", "somu", 0},
	{"takahashi.makoto", "security_officer", "department", "somu", 1},
	{"horiuchi.masaki", "security_officer", "department", "kikaku", 0},
	{"inoue.takuya", "security_officer", "department", "kikaku", 1},
	{"hata.yoshiko", "security_officer", "department", "shimin", 0},
	{"saito.hideo", "security_officer", "department", "shimin", 1},
	{"osano.takeshi", "security_officer", "department", "fukushi", 0},
	{"abe.shinji", "security_officer", "department", "fukushi", 1},
	{"miyashita.keiko", "security_officer", "department", "kosodate", 0},
	{"maeda.kenji", "security_officer", "department", "kosodate", 1},
	{"amano.shigeru", "security_officer", "department", "kankyo", 0},
	{"goto.masao", "security_officer", "department", "kankyo", 1},
	{"okuwaki.tetsuya", "security_officer", "department", "toshi", 0},
	{"aoki.hiroyuki", "security_officer", "department", "toshi", 1},
	{"tanabe.michiko", "security_officer", "department", "kyoiku", 0},
	{"nishimura.kazuko", "security_officer", "department", "kyoiku", 1},
	/* 課長 and 課長補佐 */
	{"takahashi.makoto", "security_manager", "section", "somu-ka", 0},
	{"suzuki.yumi", "security_manager", "section", "somu-ka", 1},
	{"ito.naoki", "security_manager", "section", "jinji", 0},
	{"kato.ayumi", "security_manager", "section", "jinji", 1},
	{"yamamoto.osamu", "security_manager", "section", "kaikei", 0},
	{"nakamura.kaori", "security_manager", "section", "kaikei", 1},
	{"watanabe.daisuke", "security_manager", "section", "joho-seisaku", 0},
	{"hayashi.tomoko", "security_manager", "section", "joho-seisaku", 1},
	{"inoue.takuya", "security_manager", "section", "koho", 0},
	{"kimura.sachiko", "security_manager", "section", "koho", 1},
	{"saito.hideo", "security_manager", "section", "shimin-ka", 0},
	{"shimizu.naomi", "security_manager", "section", "shimin-ka", 1},
	{"yamazaki.tsutomu", "security_manager", "section", "zeimu", 0},
	{"mori.akiko", "security_manager", "section", "zeimu", 1},
	{"abe.shinji", "security_manager", "section", "fukushi-ka", 0},
	{"ishikawa.junko", "security_manager", "section", "fukushi-ka", 1},
	{"yamashita.minoru", "security_manager", "section", "kenko", 0},
	{"nakajima.rie", "security_manager", "section", "kenko", 1},
	{"ishii.yoko", "security_manager", "section", "kango", 0},
	{"ogawa.satoshi", "security_manager", "section", "kango", 1},
	{"maeda.kenji", "security_manager", "section", "kosodate-ka", 0},
	{"okada.megumi", "security_manager", "section", "kosodate-ka", 1},
	{"hasegawa.emiko", "security_manager", "section", "hoiku", 0},
	{"fujita.yuka", "security_manager", "section", "hoiku", 1},
	{"goto.masao", "security_manager", "section", "kankyo-bika", 0},
	{"kondo.takashi", "security_manager", "section", "kankyo-bika", 1},
	{"murakami.akira", "security_manager", "section", "seikatsu-kankyo", 0},
	{"endo.shota", "security_manager", "section", "seikatsu-kankyo", 1},
	{"aoki.hiroyuki", "security_manager", "section", "toshi-keikaku", 0},
	{"sakamoto.mai", "security_manager", "section", "toshi-keikaku", 1},
	{"fukuda.noboru", "security_manager", "section", "doboku", 0},
	{"ota.ryo", "security_manager", "section", "doboku", 1},
	{"nishimura.kazuko", "security_manager", "section", "kyoiku-somu", 0},
	{"fujii.takeshi", "security_manager", "section", "kyoiku-somu", 1},
	{"kaneko.yasushi", "security_manager", "section", "kyushoku", 0},
	{"okamoto.chie", "security_manager", "section", "kyushoku", 1},
	{"fujiwara.shizuka", "security_manager", "section", "toshokan", 0},
	{"nakano.yusuke", "security_manager", "section", "toshokan", 1},
	{"miura.jun", "security_manager", "section", "bunka", 0},
	{"harada.aya", "security_manager", "section", "bunka", 1},
	/* information systems */
	{"morita.kenta", "system_manager", "system", "juki", 0},
	{"shimizu.naomi", "system_manager", "system", "juki", 1},
	{"ueda.noriko", "system_manager", "system", "zaimu", 0},
	{"nakamura.kaori", "system_manager", "system", "zaimu", 1},
	{"uchida.sho", "system_manager", "system", "website", 0},
	{"kimura.sachiko", "system_manager", "system", "website", 1},
	{"shibata.ayako", "system_manager", "system", "library", 0},
	{"nakano.yusuke", "system_manager", "system", "library", 1},
	/* the CSIRT, led by the chief security officer */
	{"matsuda.kazuya", "csirt", "city", NULL, 0},
	{"takeuchi.misaki", "csirt", "city", NULL, 0},
	{"ono.yuta", "csirt", "city", NULL, 0},
	{"nakayama.shin", "csirt", "city", NULL, 0},
	{"wada.tomomi", "auditor", "city", NULL, 0},
	{"ishida.koichi", "auditor", "city", NULL, 0},
	{"tamura.haruka", "admin", "city", NULL, 0},
};

/* The logins printed at the end, with what each one shows. */
static const struct {
	const char *what, *login;
} showcase[] = {
	{"CISO 最高情報セキュリティ責任者", "sato.kenichi"},
	{"統括情報セキュリティ責任者", "watanabe.daisuke"},
	{"情報セキュリティ責任者 (市民部)", "hata.yoshiko"},
	{"情報セキュリティ管理者 (市民課)", "saito.hideo"},
	{"CSIRT", "matsuda.kazuya"},
	{"監査 auditor", "wada.tomomi"},
	{"システム管理 admin", "tamura.haruka"},
	{"職員 staff (税務課)", "sakai.haruto"},
	{"委託事業者 contractor", "nagai.tsubasa"},
	{"English-speaking staff", "emily.carter"},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Runs one statement of the seed; with one, it must change exactly one
 * row. Returns 0, or -1 after a message naming what. */
static int exec_row(PGconn *conn, const char *what, const char *sql, int n,
		    const char *const *params, int one)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	int ok = db_ok(r) && (!one || strcmp(PQcmdTuples(r), "1") == 0);
	if (!ok) {
		if (db_ok(r))
			fprintf(stderr, "sokuho: demo: %s: nothing was inserted\n", what);
		else
			people_db_error(what, r);
	}
	PQclear(r);
	return ok ? 0 : -1;
}

static int insert_units(PGconn *conn, const struct demo_unit *u, size_t n, const char *kind)
{
	for (size_t i = 0; i < n; i++) {
		const char *params[6] = {u[i].code, kind, u[i].parent, u[i].name_ja, u[i].name_en,
					 u[i].site};
		/* An existing unit of the same code is kept as it is. */
		if (exec_row(conn, u[i].code,
			     "INSERT INTO org_unit (code, kind, parent_id, name_ja, name_en, "
			     "site_id) VALUES ($1, $2, (SELECT id FROM org_unit WHERE code = $3), "
			     "$4, $5, (SELECT id FROM site WHERE code = $6)) "
			     "ON CONFLICT (code) DO NOTHING",
			     6, params, 0) != 0)
			return -1;
	}
	return 0;
}

static int seed(PGconn *conn, const char *hash)
{
	if (insert_units(conn, departments, N(departments), "department") != 0 ||
	    insert_units(conn, sections, N(sections), "section") != 0)
		return -1;
	for (size_t i = 0; i < N(systems); i++) {
		const char *p[5] = {systems[i].code, systems[i].name_ja, systems[i].name_en,
				    systems[i].section, systems[i].segment};
		if (exec_row(conn, systems[i].code,
			     "INSERT INTO info_system (code, name_ja, name_en, section_id, segment) "
			     "VALUES ($1, $2, $3, (SELECT id FROM org_unit WHERE code = $4), $5) "
			     "ON CONFLICT (code) DO NOTHING",
			     5, p, 0) != 0)
			return -1;
	}
	for (size_t i = 0; i < N(people); i++) {
		const char *p[6] = {people[i].login, people[i].name, people[i].section,
				    people[i].kind, people[i].lang, hash};
		if (exec_row(conn, people[i].login,
			     "INSERT INTO person (login, display_name, email, section_id, kind, "
			     "lang, password_hash) VALUES ($1, $2, $1 || '@city.example.jp', "
			     "(SELECT id FROM org_unit WHERE code = $3 AND kind = 'section'), "
			     "$4, $5, CASE WHEN $4 = 'service' THEN NULL ELSE $6 END)",
			     6, p, 1) != 0)
			return -1;
	}
	for (size_t i = 0; i < N(roles); i++) {
		char dep[4];
		snprintf(dep, sizeof dep, "%d", roles[i].deputy);
		const char *p[5] = {roles[i].login, roles[i].role, roles[i].scope_kind,
				    roles[i].scope_code, dep};
		/* Valid from the start of the city's fiscal year (1 April). */
		if (exec_row(conn, roles[i].login,
			     "INSERT INTO role_assignment (person_id, role, scope_kind, scope_id, "
			     "deputy_rank, valid_from) SELECT p.id, $2, $3, CASE $3 "
			     "WHEN 'city' THEN NULL "
			     "WHEN 'system' THEN (SELECT id FROM info_system WHERE code = $4) "
			     "ELSE (SELECT id FROM org_unit WHERE code = $4 AND kind = $3) END, "
			     "$5, make_date(extract(year FROM sokuho_today() - interval "
			     "'3 months')::integer, 4, 1) FROM person p WHERE p.login = $1",
			     5, p, 1) != 0)
			return -1;
	}
	return 0;
}

static void print_showcase(void)
{
	size_t w0 = 0, w1 = 0;
	for (size_t i = 0; i < N(showcase); i++) {
		size_t w = people_display_width(showcase[i].what);
		if (w > w0)
			w0 = w;
		if (strlen(showcase[i].login) > w1)
			w1 = strlen(showcase[i].login);
	}
	printf("\n  ");
	people_print_padded("role", w0 + 2);
	people_print_padded("login", w1 + 2);
	printf("name\n");
	for (size_t i = 0; i < N(showcase); i++) {
		const struct demo_person *p = NULL;
		for (size_t k = 0; k < N(people) && !p; k++)
			if (strcmp(people[k].login, showcase[i].login) == 0)
				p = &people[k];
		printf("  ");
		people_print_padded(showcase[i].what, w0 + 2);
		people_print_padded(showcase[i].login, w1 + 2);
		printf("%s (%s)\n", p ? p->name : "?", p ? p->title : "?");
	}
}

/* Starts the demo's transaction: its lock (two demos at once: the second
 * waits, then finds what the first made) and the check query, whose first
 * column is the lock. The result, or NULL with e filled. */
static PGresult *demo_begin(PGconn *conn, const char *checks, struct db_err *e, enum db_qs *qs)
{
	/* the demo city's own role grants are its starting state: no notice
	 * mail for them (sql/0023, role_assignment_notice) */
	*qs = db_exec(conn, e, "SET LOCAL sokuho.grant_notice = 'off'", 0, NULL, NULL);
	if (*qs < 0)
		return NULL;
	char *sql = xasprintf("SELECT pg_advisory_xact_lock(" DB_LOCK_DEMO "), %s", checks);
	PGresult *r;
	*qs = db_exec(conn, e, sql, 0, NULL, &r);
	free(sql);
	return *qs < 0 ? NULL : r;
}

/* Says why a demo transaction failed; 1. */
static int demo_failed(const char *what, const struct db_err *e)
{
	fprintf(stderr, "sokuho: %s: %s; nothing was changed\n", what, e->msg);
	return 1;
}

struct seed {
	const char *hash;
	int present; /* out: the database has people already */
};

static enum db_qs seed_tx(PGconn *conn, void *arg, struct db_err *e)
{
	struct seed *S = arg;
	enum db_qs qs;
	PGresult *r = demo_begin(conn, "EXISTS (SELECT 1 FROM person)", e, &qs);
	if (!r)
		return qs;
	S->present = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	if (S->present)
		return DB_NONE;
	if (seed(conn, S->hash) != 0)
		return db_fail(conn, e, "the demo city could not be stored");
	json_t *detail = json_pack("{s:i, s:i, s:i, s:i, s:i}", "departments",
				   (int)N(departments), "sections", (int)N(sections), "systems",
				   (int)N(systems), "people", (int)N(people), "role_assignments",
				   (int)N(roles));
	qs = audit_append(conn, e, 0, "demo.seed", NULL, 0, detail);
	json_decref(detail);
	return qs < 0 ? qs : DB_OK;
}

int demo_seed(PGconn *conn)
{
	/* One Argon2id hash shared by every demo account: the password is
	 * public anyway, and seventy hashes would take seconds. */
	char hash[PASSWORD_HASH_MAX];
	if (password_hash(DEMO_PASSWORD, hash) != 0) {
		fprintf(stderr, "sokuho: demo: unable to hash the demo password\n");
		return 1;
	}
	struct seed S = {hash, 0};
	struct db_err e;
	/* idempotent: a repeat finds the people and says so */
	if (db_run_tx(conn, "demo_seed", DB_TX_IDEMPOTENT, seed_tx, &S, &e) < 0)
		return demo_failed("demo", &e);
	if (S.present) {
		printf("demo data already present\n");
		return 0;
	}
	printf("demo city created: %zu departments, %zu sections, %zu information systems, "
	       "%zu people, %zu role assignments\n",
	       N(departments), N(sections), N(systems), N(people), N(roles));
	printf("\nFOR DEMONSTRATION ONLY / デモ専用: every demo account has the password\n\n"
	       "    %s\n\n"
	       "which is printed here and publicly known. Never seed a database that holds\n"
	       "real people, and never expose a demo installation to the internet.\n",
	       DEMO_PASSWORD);
	print_showcase();
	printf("\nEvery other demo person signs in the same way; 'sokuho user list' shows them "
	       "all.\n");
	return 0;
}

/* A year of invented, closed incidents (DOMAIN.md's usual ones: mis-sent
 * mail, lost USB sticks, suspicious mail, malware ...) reported across the
 * demo city's sections, each with its milestones and one audit event, so
 * that the dashboard's trends and the annual review have something to show.
 * The references come from the counter, in order of the report. */
static const char history_sql[] =
	"WITH s AS (SELECT setseed(0.42)), "
	"kinds (k, category, summary, description, severity) AS (VALUES "
	" (0, 'suspicious_mail', '不審メールを受信', '取引先を装ったメールに添付ファイルがあった。開封していない。', 0), "
	" (1, 'leak', 'メールの誤送信', '個人情報を含む一覧を別の事業者に送信した。削除を依頼し確認した。', 3), "
	" (2, 'loss_theft', 'USBメモリの紛失', '庁外への持ち出し後、USBメモリが見当たらない。暗号化済み。', 2), "
	" (3, 'malware', 'マルウェア感染の疑い', '端末の動作が重く、セキュリティソフトが警告を表示した。ネットワークから切り離した。', 2), "
	" (4, 'leak', '書類の誤送付', '住民票の写しを別の住民に郵送した。回収済み。', 3), "
	" (5, 'system_failure', 'ネットワーク障害', '出先機関でLGWAN接続系の通信が途絶えた。', 1), "
	" (6, 'unauthorized_access', '不正ログインの試行', '公開サーバーへの大量のログイン試行を検知した。', 1), "
	" (7, 'policy_violation', '私物端末での業務', '私物のスマートフォンで業務データを扱っていた。', 1), "
	" (8, 'contractor', '委託先での資料紛失', '委託先が調査票の一部を紛失したと報告があった。', 2), "
	" (9, 'dos', 'ウェブサイトの停止', '市のウェブサイトが一時的に閲覧できなくなった。', 2)), "
	"secs AS (SELECT row_number() OVER (ORDER BY o.code) - 1 AS n, o.id, o.site_id "
	"  FROM org_unit o WHERE o.kind = 'section'), "
	"staff AS (SELECT row_number() OVER (ORDER BY p.id) - 1 AS n, p.id, p.section_id "
	"  FROM person p WHERE p.kind = 'staff' AND p.section_id IS NOT NULL), "
	"gen AS (SELECT g, sokuho_now() - (360 - g * 2.4) * interval '1 day' "
	"  - random() * interval '20 hours' AS reported, "
	"  floor(random() * 10)::int AS k, random() AS r1, random() AS r2, random() AS r3 "
	"  FROM s, generate_series(1, 150) g) "
	"INSERT INTO incident (ref, channel, reporter_id, section_id, site_id, category, severity, "
	"  summary, description, how_found, discovered_at, reported_at, pd_involved, "
	"  acknowledged_at, contained_at, closed_at) "
	"SELECT next_incident_ref(g.reported), 'staff', st.id, st.section_id, "
	"  (SELECT site_id FROM org_unit WHERE id = st.section_id), kd.category, kd.severity, "
	"  kd.summary, kd.description, 'デモ用の記録 (demo history)', "
	"  g.reported - g.r1 * interval '3 hours', g.reported, "
	"  CASE WHEN kd.category IN ('leak', 'loss_theft', 'contractor') THEN 'yes' ELSE 'no' END, "
	"  g.reported + (5 + g.r1 * g.r1 * 300) * interval '1 minute', "
	"  g.reported + (1 + g.r2 * g.r2 * 60) * interval '1 hour', "
	"  least(sokuho_now() - interval '1 hour', "
	"        g.reported + (2 + g.r3 * 20 + g.r2 * 10) * interval '1 day') "
	"FROM gen g JOIN kinds kd ON kd.k = g.k "
	"JOIN staff st ON st.n = (g.g * 7) % (SELECT count(*) FROM staff) "
	"ORDER BY g.g";

struct history {
	int skip;    /* out: 1 incidents exist already, 2 no demo city yet */
	long n;      /* out: incidents made */
};

static enum db_qs history_tx(PGconn *conn, void *arg, struct db_err *e)
{
	struct history *H = arg;
	H->skip = 0;
	H->n = 0;
	enum db_qs qs;
	PGresult *r = demo_begin(conn, "EXISTS (SELECT 1 FROM incident), "
				       "EXISTS (SELECT 1 FROM person)", e, &qs);
	if (!r)
		return qs;
	H->skip = PQgetvalue(r, 0, 1)[0] == 't' ? 1 : PQgetvalue(r, 0, 2)[0] != 't' ? 2 : 0;
	PQclear(r);
	if (H->skip)
		return DB_NONE;
	qs = db_exec(conn, e, history_sql, 0, NULL, &r);
	if (qs < 0)
		return qs;
	H->n = atol(PQcmdTuples(r));
	PQclear(r);
	qs = db_exec(conn, e,
		     "INSERT INTO audit_event (actor_id, kind, detail, incident_id) "
		     "SELECT NULL, 'incident.imported', jsonb_build_object('demo', true, "
		     "'reported_at', reported_at), id FROM incident ORDER BY reported_at",
		     0, NULL, NULL);
	return qs < 0 ? qs : DB_OK;
}

int demo_history(PGconn *conn)
{
	struct history H;
	struct db_err e;
	/* idempotent: a repeat finds the incidents and says so */
	if (db_run_tx(conn, "demo_history", DB_TX_IDEMPOTENT, history_tx, &H, &e) < 0)
		return demo_failed("demo history", &e);
	if (H.skip) {
		printf("demo history: %s\n", H.skip == 1 ? "the database has incidents already"
							  : "run 'sokuho demo' first");
		return 0;
	}
	printf("demo history: %ld closed incidents of the last twelve months\n", H.n);
	return 0;
}
