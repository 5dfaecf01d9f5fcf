-- bench/generate.sql: N realistic incidents for `make bench`, in one pass of
-- generate_series. Needs a migrated database with the demo city and the
-- workflows loaded (sokuho migrate; sokuho demo; sokuho workflow load).
--
--   psql -v n=1000000 -v open=3000 -f bench/generate.sql
--
-- The incidents are spread over the eight years before now (ids ascending
-- with reported_at), numbered INC-YYYY-NNNN per year in Japan time with
-- incident_counter left consistent, so filing after this goes on with the
-- next number. The category mix, sections, sites, reporters and systems are
-- the demo city's; summaries and descriptions are Japanese sentences built
-- from phrases real reports use (個人情報, USB, 誤送信, ...). All but the
-- :open newest (and one in 2,000 older ones, forgotten) are closed with
-- their milestones set (acknowledged, contained, closed) and finished
-- workflow runs; open ones have live runs of reporting-duty and
-- emergency-response in the states of workflows/*.json, a pending
-- escalation timer (in the future) and state deadlines, some overdue.
-- Incidents with personal data get the legal deadlines of the PPC (or My
-- Number) clock. No audit events are generated.
--
-- Secondary indexes of incident are dropped and rebuilt after the load (it
-- is several times faster than maintaining them row by row); they are
-- recreated from their own definitions, so whatever the migrations define
-- is what the benchmark measures.
\set ON_ERROR_STOP 1
\if :{?n}
\else
\set n 1000000
\endif
\if :{?open}
\else
\set open 3000
\endif
\timing on

SET maintenance_work_mem = '1GB';
SET max_parallel_maintenance_workers = 2;
SET synchronous_commit = off; -- the load only; the cluster itself stays durable

BEGIN;
CREATE TEMP TABLE bench_saved_index ON COMMIT DROP AS
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i
    WHERE i.indrelid IN ('incident'::regclass, 'workflow_run'::regclass, 'legal_deadline'::regclass,
                         'timer'::regclass, 'workflow_deadline'::regclass)
      AND NOT i.indisprimary AND NOT i.indisunique;
DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT name FROM bench_saved_index LOOP
        EXECUTE 'DROP INDEX ' || s.name;
    END LOOP;
END
$$;

-- the demo city, as arrays to pick from
CREATE TEMP TABLE bench_city ON COMMIT DROP AS
SELECT (SELECT array_agg(u.id ORDER BY u.id) FROM org_unit u WHERE u.kind = 'section') AS sections,
       (SELECT array_agg(coalesce(u.site_id, 1) ORDER BY u.id) FROM org_unit u WHERE u.kind = 'section') AS section_sites,
       (SELECT array_agg(p.id ORDER BY p.id) FROM person p) AS people,
       (SELECT array_agg(s.id ORDER BY s.id) FROM info_system s) AS systems,
       (SELECT array_agg(s.section_id ORDER BY s.id) FROM info_system s) AS system_sections;

CREATE TEMP TABLE bench_word ON COMMIT DROP AS
SELECT * FROM (VALUES
    -- category, weight (per mille), summaries, description phrases
    ('suspicious_mail', 300,
     ARRAY['不審メールの添付ファイルを開いた', '差出人を詐称したメールを受信した', '不審なリンクをクリックした',
           '取引先を装ったフィッシングメールが届いた', 'パスワード入力を求める不審メール'],
     ARRAY['件名は「請求書の送付について」。', '添付のExcelファイルでマクロを有効にしてしまった。',
           'リンク先でIDとパスワードを入力した可能性がある。', 'メールは削除せず保存している。']),
    ('leak', 150,
     ARRAY['個人情報を含むメールを誤送信した', '住民票の写しを別人に誤交付した', 'FAXの誤送信',
           'ウェブサイトに個人情報を誤って公開した', '封入ミスによる通知書の誤送付'],
     ARRAY['宛先の確認が不十分だった。', '受信者に削除を依頼し、削除の確認を得た。',
           '個人情報（氏名・住所・電話番号）が含まれていた。', 'BCCとすべきところをTOで送信した。']),
    ('loss_theft', 100,
     ARRAY['USBメモリを紛失した', '公用スマートフォンの紛失', 'ノートPCの盗難',
           '外部記録媒体（USB）の所在不明', '書類を入れた鞄を置き忘れた'],
     ARRAY['USBメモリは暗号化されていない。', '最後に使用したのは会議室。',
           '警察に遺失届を提出した。', 'リモートワイプを依頼した。']),
    ('malware', 80,
     ARRAY['端末がランサムウェアに感染した疑い', 'ウイルス対策ソフトが警告を表示した', 'マルウェア検知',
           'USBメモリからウイルスが検出された', '不審なプログラムが実行された'],
     ARRAY['ネットワークから切り離した。', 'ファイルの拡張子が変わっている。',
           'EDRの検知名はTrojan。', '電源は切らずに保存している。']),
    ('system_failure', 120,
     ARRAY['基幹系システムが停止した', 'ネットワーク障害で庁内LANに接続できない', 'サーバのディスク障害',
           '住民情報システムの応答遅延', 'LGWAN接続系の通信断'],
     ARRAY['窓口業務に影響が出ている。', '保守業者に連絡済み。', '冗長構成の切替が行われなかった。',
           '復旧見込みは未定。']),
    ('unauthorized_access', 60,
     ARRAY['不正ログインの試行を検知した', '退職者のアカウントでのログイン', '管理者権限の不正使用の疑い',
           'ウェブサーバへの不正アクセス'],
     ARRAY['ログを保全した。', 'アカウントを停止した。', '海外のIPアドレスからのアクセス。']),
    ('tampering', 30,
     ARRAY['ホームページの改ざん', 'ファイルサーバのデータ消失', '設定ファイルが書き換えられた'],
     ARRAY['バックアップから復元できる見込み。', '変更履歴を確認中。']),
    ('dos', 30,
     ARRAY['公式ウェブサイトへのDoS攻撃', '大量アクセスによるサービス停止'],
     ARRAY['回線事業者に相談した。', 'アクセス元を遮断した。']),
    ('policy_violation', 50,
     ARRAY['私物USBメモリの無断使用', '業務データの私用メールへの転送', '許可のないクラウドサービスの利用',
           'パスワードの付箋貼付'],
     ARRAY['情報セキュリティポリシー違反。', '本人に事情を聴取した。']),
    ('contractor', 50,
     ARRAY['委託先での個人情報の紛失', '委託先からの情報漏えいの報告', '委託業者の作業ミスによる障害'],
     ARRAY['委託先から報告書を受領した。', '契約の再委託条項を確認中。']),
    ('other', 30,
     ARRAY['執務室の施錠忘れ', '機密文書の廃棄手順の誤り', 'その他のセキュリティ事象'],
     ARRAY['詳細は確認中。', '再発防止策を検討する。'])
) AS w (category, weight, summaries, phrases);

CREATE TEMP TABLE bench_pick ON COMMIT DROP AS
SELECT category, summaries, phrases,
       sum(weight) OVER (ORDER BY category) - weight AS lo,
       sum(weight) OVER (ORDER BY category) AS hi
FROM bench_word;

-- one row per incident, its random draws made once
CREATE TEMP TABLE bench_gen ON COMMIT DROP AS
SELECT g.i,
       now() - interval '8 years' * (1 - g.i::float8 / :n) - interval '1 second' * (random() * 600) AS reported_at,
       (random() * 1000)::int % 1000 AS cat_draw,
       random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
       (g.i > :n - :open OR g.i % 2000 = 0) AS open
FROM generate_series(1, :n) AS g (i);

INSERT INTO incident (id, ref, channel, reporter_id, external_name, section_id, site_id, category,
    severity, summary, description, how_found, discovered_at, occurred_at, reported_at, segments,
    system_id, pd_involved, pd_persons, pd_items, pd_sensitive, pd_mynumber, pd_encrypted,
    pd_malicious, pd_financial, contractor, bcp, facts, updated_at,
    acknowledged_at, contained_at, closed_at)
SELECT x.i,
       'INC-' || x.year || '-' || lpad(x.num::text, greatest(4, length(x.num::text)), '0'),
       x.channel,
       CASE WHEN x.channel = 'external' THEN NULL ELSE c.people[1 + (x.r1 * 1000)::int % cardinality(c.people)] END,
       CASE WHEN x.channel = 'external' THEN '市民 ' || (x.i % 997) END,
       c.sections[x.sec], c.section_sites[x.sec], x.category,
       CASE WHEN x.r2 < 0.55 THEN 0 WHEN x.r2 < 0.85 THEN 1 WHEN x.r2 < 0.97 THEN 2 ELSE 3 END,
       x.summary || CASE WHEN x.i % 7 = 0 THEN '（' || (x.i % 300 + 1) || '件）' ELSE '' END,
       x.p1 || x.p2 || CASE WHEN x.pd THEN '対象は個人情報約' || x.persons || '件。' ELSE '' END,
       CASE WHEN x.r3 < 0.5 THEN '職員が気付いた' WHEN x.r3 < 0.8 THEN '監視システムの警報' ELSE '外部からの連絡' END,
       x.reported_at - interval '1 minute' * (5 + x.r4 * 600),
       CASE WHEN x.r5 < 0.7 THEN x.reported_at - interval '1 minute' * (60 + x.r4 * 6000) END,
       x.reported_at,
       CASE WHEN x.r3 < 0.6 THEN '{lgwan}'::text[] WHEN x.r3 < 0.85 THEN '{internet}'
            WHEN x.r3 < 0.95 THEN '{mynumber}' ELSE '{lgwan,internet}' END,
       CASE WHEN x.r4 < 0.3 THEN c.systems[1 + (x.i % cardinality(c.systems))] END,
       CASE WHEN x.pd THEN 'yes' WHEN x.r5 < 0.5 THEN 'no' ELSE 'unknown' END,
       CASE WHEN x.pd THEN x.persons END,
       CASE WHEN x.pd THEN '氏名、住所、電話番号' ELSE '' END,
       CASE WHEN x.pd AND x.r2 < 0.1 THEN 'yes' WHEN x.pd THEN 'no' ELSE 'unknown' END,
       CASE WHEN x.pd AND x.r3 > 0.97 THEN 'yes' ELSE 'no' END,
       CASE WHEN x.pd AND x.r4 < 0.2 THEN 'yes' ELSE 'unknown' END,
       'no', 'no',
       CASE WHEN x.category = 'contractor' THEN '株式会社サンプル情報サービス' ELSE '' END,
       x.r2 > 0.995,
       jsonb_build_object('category', x.category, 'bcp', x.r2 > 0.995,
           'segments', '[]'::jsonb, 'discovered_at', to_char(x.reported_at, 'YYYY-MM-DD"T"HH24:MI:SSOF'),
           'personal_data', jsonb_build_object('involved', CASE WHEN x.pd THEN 'yes' ELSE 'unknown' END,
               'persons', CASE WHEN x.pd THEN x.persons END, 'sensitive', x.pd AND x.r2 < 0.1,
               'mynumber', false, 'encrypted', false, 'malicious', false, 'financial', false)),
       x.reported_at,
       CASE WHEN NOT x.open OR x.r1 < 0.4 THEN x.reported_at + interval '1 minute' * (3 + x.r2 * 120) END,
       CASE WHEN NOT x.open THEN x.reported_at + interval '1 hour' * (1 + x.r3 * 48) END,
       CASE WHEN NOT x.open THEN x.reported_at + interval '1 day' * (2 + x.r4 * 60) END
FROM (
    SELECT b.*, extract(year FROM b.reported_at AT TIME ZONE 'Asia/Tokyo')::int AS year,
           row_number() OVER (PARTITION BY extract(year FROM b.reported_at AT TIME ZONE 'Asia/Tokyo') ORDER BY b.i) AS num,
           CASE WHEN b.r5 < 0.93 THEN 'staff' WHEN b.r5 < 0.97 THEN 'api' ELSE 'external' END AS channel,
           1 + (b.r2 * 10000)::int % cardinality(c0.sections) AS sec,
           p.category,
           p.summaries[1 + (b.r3 * 1000)::int % cardinality(p.summaries)] AS summary,
           p.phrases[1 + (b.r4 * 1000)::int % cardinality(p.phrases)] AS p1,
           p.phrases[1 + (b.r1 * 1000)::int % cardinality(p.phrases)] AS p2,
           (p.category IN ('leak', 'loss_theft', 'contractor') AND b.r1 < 0.5) AS pd,
           (1 + b.r5 * b.r5 * 2000)::int AS persons
    FROM bench_gen b JOIN bench_pick p ON b.cat_draw >= p.lo AND b.cat_draw < p.hi CROSS JOIN bench_city c0
) x CROSS JOIN bench_city c;

SELECT setval('incident_id_seq', (SELECT max(id) FROM incident));
INSERT INTO incident_counter (year, last)
    SELECT substr(ref, 5, 4)::int, max(substr(ref, 10)::int) FROM incident GROUP BY 1
    ON CONFLICT (year) DO UPDATE SET last = greatest(incident_counter.last, excluded.last);

-- legal deadlines of incidents with personal data
INSERT INTO legal_deadline (incident_id, clock, key, title_ja, title_en, due_at, met_at)
SELECT i.id, k.clock, k.key, k.title_ja, k.title_en, i.discovered_at + k.after,
       CASE WHEN i.closed_at IS NOT NULL THEN i.discovered_at + k.after * 0.8 END
FROM incident i
CROSS JOIN (VALUES ('ppc', 'ppc_preliminary', '速報', 'Preliminary report', interval '3 days'),
                   ('ppc', 'ppc_final', '確報', 'Final report', interval '30 days')) AS k (clock, key, title_ja, title_en, after)
WHERE i.pd_involved = 'yes' AND (i.pd_persons > 100 OR i.pd_sensitive = 'yes');

-- workflow runs: finished for closed incidents, live for open ones
INSERT INTO workflow_run (incident_id, def_id, state, entered_at, escalation_level, fence, started_at, finished_at)
SELECT i.id, d.id,
       CASE WHEN i.closed_at IS NOT NULL THEN 'done'
            WHEN i.acknowledged_at IS NOT NULL THEN (ARRAY['acknowledged', 'with_chief', 'with_ciso'])[1 + i.id % 3]
            ELSE 'reported' END,
       coalesce(i.acknowledged_at, i.reported_at),
       CASE WHEN i.acknowledged_at IS NULL THEN (i.id % 3)::int ELSE 0 END,
       CASE WHEN i.acknowledged_at IS NULL THEN 0 ELSE 1 END,
       i.reported_at, i.closed_at
FROM incident i, (SELECT id FROM workflow_def WHERE name = 'reporting-duty' ORDER BY version DESC LIMIT 1) d;

INSERT INTO workflow_run (incident_id, def_id, state, entered_at, fence, started_at, finished_at)
SELECT i.id, d.id,
       CASE WHEN i.closed_at IS NOT NULL THEN 'closed'
            ELSE (ARRAY['triage', 'containment', 'eradication', 'recovery', 'lessons_learned'])[1 + i.id % 5] END,
       coalesce(i.contained_at, i.acknowledged_at, i.reported_at),
       CASE WHEN i.closed_at IS NOT NULL THEN 5 ELSE (i.id % 5)::int END,
       i.reported_at, i.closed_at
FROM incident i, (SELECT id FROM workflow_def WHERE name = 'emergency-response' ORDER BY version DESC LIMIT 1) d;

INSERT INTO workflow_run (incident_id, def_id, state, entered_at, fence, started_at, finished_at)
SELECT l.incident_id, d.id, CASE WHEN i.closed_at IS NOT NULL THEN 'closed' ELSE 'preliminary_report' END,
       i.reported_at, 0, i.reported_at, i.closed_at
FROM legal_deadline l JOIN incident i ON i.id = l.incident_id,
     (SELECT id FROM workflow_def WHERE name = 'ppc-leak-report' ORDER BY version DESC LIMIT 1) d
WHERE l.key = 'ppc_preliminary';

-- what the open runs wait for: the next escalation rung (in the future, so
-- the engine stays idle during the page benchmarks) and state deadlines
INSERT INTO timer (run_id, fence, kind, step, fire_at)
SELECT r.id, r.fence, 'escalation', r.escalation_level, now() + interval '1 hour' * (1 + r.id % 48)
FROM workflow_run r WHERE r.finished_at IS NULL AND r.state = 'reported';

INSERT INTO workflow_deadline (run_id, fence, key, state, title_ja, title_en, due_at)
SELECT r.id, r.fence, r.state || '_due', r.state, '対応期限', 'Due', r.entered_at + interval '3 days'
FROM workflow_run r WHERE r.finished_at IS NULL;

DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT def FROM bench_saved_index LOOP
        EXECUTE s.def;
    END LOOP;
END
$$;
COMMIT;

VACUUM (ANALYZE) incident;
VACUUM (ANALYZE) workflow_run;
VACUUM (ANALYZE) legal_deadline;
VACUUM (ANALYZE) timer;
VACUUM (ANALYZE) workflow_deadline;
SELECT count(*) AS incidents, count(*) FILTER (WHERE closed_at IS NULL) AS open FROM incident;
