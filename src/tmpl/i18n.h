/* The label catalog: every text the page templates show, in Japanese and in
 * English, loaded once at start from TEMPLATES/i18n/labels.json:
 *
 *   {"summary": {"ja": "概要", "en": "Summary"}, ...}
 *
 * Keys are lower-case ASCII letters, digits and '_'; each entry has exactly a
 * non-empty "ja" and a non-empty "en" string. A text may hold one "{n}"
 * placeholder (then both do) for a number or value the page puts in; a text
 * may hold HTML markup such as <strong>, in which case templates show it with
 * {{{...}}} (the catalog is trusted, like the templates).
 *
 * For each page language the catalog becomes one immutable JSON object `t`,
 * built at load time and shared by every request (json_incref it):
 *
 *   t.KEY.main      the text in the page language
 *   t.KEY.alt       the text in the other language
 *   t.KEY.alt_lang  the other language ("en" on Japanese pages, "ja" on English)
 *   t.KEY.main_before, main_after, alt_before, alt_after
 *                   for a text with "{n}": the parts before and after it
 *
 * A page shows one language only, so a label reads
 *   {{t.summary.main}}
 * (the layout's switch link gives the other language's page; .alt and
 * .alt_lang are for the rare text that must name the other language, such
 * as a document printed in both).
 *
 * A text used by C code only may instead hold named placeholders, "{max}",
 * "{now}" (lower-case letters, digits and '_' in braces; the same names in
 * "ja" and "en"), which i18n_render fills in; templates may not use such a
 * text.
 *
 * Messages. The domain layers (src/incident/, src/auth/, src/wf/ ...) never
 * build user-facing text: where they report a problem (a form field's error,
 * say) they give a message, which is a JSON value of one of two forms
 *
 *   "field_err_summary"                                  a catalog key
 *   {"key": "field_err_too_long", "args": {"max": 200, "now": 250}}
 *
 * (args' values strings, integers, or {"ja": ..., "en": ...} for a value that
 * has a text in each language, such as a workflow field's title), and the
 * web layer renders it in the
 * request's language with i18n_render (http_msg, http_msgs of http/http.h).
 * The keys C code uses are named AREA_err_WHAT (a form's messages) or
 * msg_WHAT (other texts C puts on pages and into mails) and are listed in
 * TEMPLATES/i18n/from-c.txt, one a line (PREFIX* for keys the code completes
 * at run time, from a literal "PREFIX%s"), so that the unused-label check
 * knows them; the unit suite i18n keeps that list equal to the keys the C
 * sources name, and each of them in the catalog.
 *
 * Loading also reads every *.mustache under the templates folder and refuses
 * a use of t.KEY (in {{...}}, {{{...}}}, {{&...}}, {{#...}}, {{^...}}) whose key
 * is not in the catalog, or whose field is not one of the above (or is .main
 * / .alt of a text with "{n}", or a _before / _after of one without). */
#ifndef SOKUHO_I18N_H
#define SOKUHO_I18N_H

#include <jansson.h>
#include <stddef.h>

#define I18N_CATALOG "i18n/labels.json" /* under the templates folder */
#define I18N_FROM_C "i18n/from-c.txt"    /* the keys C code uses, one a line */

struct i18n;

/* Loads TEMPLATES_DIR/i18n/labels.json and checks it and the templates'
 * uses of it. On a problem returns NULL with a message naming the file and
 * the key (and the template and line for a bad use) in err. Keys no template
 * uses and I18N_FROM_C does not list are logged as warnings. Free with
 * i18n_free. */
struct i18n *i18n_load(const char *templates_dir, char *err, size_t errlen);
void i18n_free(struct i18n *c);
/* The `t` object of a page language ("ja" or "en"; anything else is "ja").
 * Borrowed and immutable: json_incref it to keep it in page data. */
json_t *i18n_t(const struct i18n *c, const char *lang);
/* The text of key (one with "{n}") in lang with value in the place of
 * "{n}", as a new JSON string (caller owns); the key itself when the catalog
 * has no such text. For messages built in C, such as form errors. */
json_t *i18n_fill(const struct i18n *c, const char *lang, const char *key, const char *value);
/* The catalog key of a message (either form above), or NULL. */
const char *i18n_msg_key(const json_t *msg);
/* A message in lang as a new JSON string (caller owns): the key's text with
 * the message's args in the places of their "{NAME}"s ("{n}" too). A string
 * that is no catalog key (a text already rendered) is returned as it is. */
json_t *i18n_render(const struct i18n *c, const char *lang, const json_t *msg);
/* Renders every value of the object msgs (field -> message) in place. */
void i18n_render_all(const struct i18n *c, const char *lang, json_t *msgs);
/* 1 when key is in the catalog. */
int i18n_has(const struct i18n *c, const char *key);
/* Number of keys in the catalog (for the start-up log). */
size_t i18n_count(const struct i18n *c);

/* "ja" or "en" when s is exactly one of them (a static string), else NULL. */
const char *i18n_lang_code(const char *s);
/* The page language an Accept-Language header asks for: "en" when English
 * is preferred over Japanese by the q-values (en, en-US ... against ja,
 * ja-JP ...), otherwise "ja" (also for NULL, an empty or a garbled header). */
const char *i18n_accept_language(const char *header);

#endif
