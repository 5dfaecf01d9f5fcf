/* Mustache templates (core spec plus inheritance) compiled into an immutable
 * node tree and rendered over jansson values; see mustache.h. Whitespace
 * rules are settled at compile time, indentation of partials at render time. */
#include "tmpl/mustache.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#define NONE SIZE_MAX

/* ---- compiled form ---------------------------------------------------- */

enum nkind { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL, N_PARENT, N_BLOCK };

enum {
	F_BOL = 1,        /* starts a template line: indentation goes before it */
	F_BODY_START = 2, /* first node of a block body that starts mid-line */
	F_ESCAPE = 4,     /* N_VAR: HTML-escape */
	F_STANDALONE = 8, /* N_PARTIAL/N_PARENT/N_BLOCK: expanded as an indented whole */
};

struct node {
	unsigned char kind, flags;
	size_t nparts;           /* N_VAR/N_SECTION/N_INVERTED: name parts, 0 for "." */
	const char *s;           /* text, or name (parts separated by NULs) */
	size_t len;              /* N_TEXT only */
	const char *ind;         /* F_STANDALONE: indentation added to each line */
	size_t indlen;
	struct node *kids;       /* section/block body; parent: its blocks only */
	size_t nkids;
};

/* Strings live in chunks that never move, so nodes can point into them. */
struct chunk {
	struct chunk *next;
	size_t cap, used;
	char data[];
};

struct mst_template {
	struct node *nodes;
	size_t nnodes;
	struct chunk *chunks;
};

/* ---- tokens ----------------------------------------------------------- */

enum tkind {
	TK_TEXT, TK_VAR, TK_RAW, TK_SECTION, TK_INVERTED, TK_CLOSE,
	TK_COMMENT, TK_DELIM, TK_PARTIAL, TK_PARENT, TK_BLOCK,
};

struct tok {
	unsigned char kind;
	unsigned char standalone; /* tag on a standalone line */
	unsigned char removed;    /* text dropped by the standalone rules */
	unsigned char line_first; /* first token of its line */
	size_t start, end;        /* text bytes, or a tag's trimmed name */
	size_t line;              /* 1-based line of the tag's opening delimiter */
	size_t lineidx;           /* index of the token line it is on */
	size_t match;             /* opening <-> closing tag */
	size_t lead;              /* standalone tag: whitespace token before it */
	size_t mstart, mlen;      /* standalone block: common indentation of its body */
};

struct comp {
	const char *src;
	size_t len;
	struct tok *t;
	size_t n, cap;
	char *err;
	size_t errlen;
	struct chunk *chunks;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct comp *c, size_t line, const char *fmt, ...)
{
	if (c->errlen == 0)
		return -1;
	int n = snprintf(c->err, c->errlen, "line %zu: ", line);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static struct tok *push_tok(struct comp *c, unsigned char kind, size_t start, size_t end, size_t line)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->t = xrealloc(c->t, c->cap * sizeof *c->t);
	}
	struct tok *k = &c->t[c->n++];
	memset(k, 0, sizeof *k);
	k->kind = kind;
	k->start = start;
	k->end = end;
	k->line = line;
	k->match = NONE;
	k->lead = NONE;
	return k;
}

/* Text is cut after every newline so that lines can be judged token by token. */
static void add_text(struct comp *c, size_t a, size_t b, size_t *line)
{
	while (a < b) {
		const char *nl = memchr(c->src + a, '\n', b - a);
		size_t e = nl ? (size_t)(nl - c->src) + 1 : b;
		push_tok(c, TK_TEXT, a, e, *line);
		if (nl)
			(*line)++;
		a = e;
	}
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	if (nlen > hlen)
		return NULL;
	return memmem(hay, hlen, needle, nlen);
}

/* Finds the closing delimiter preceded by ch ("}" for {{{x}}}, "=" for {{=a b=}}). */
static const char *find_after(const char *p, const char *end, char ch, const char *ct, size_t ctn)
{
	const char *from = p;
	for (;;) {
		const char *q = find(from, (size_t)(end - from), ct, ctn);
		if (!q || (q > p && q[-1] == ch))
			return q;
		from = q + 1;
	}
}

static int check_name(struct comp *c, unsigned char kind, size_t a, size_t b, size_t line)
{
	const char *s = c->src + a;
	size_t n = b - a;
	if (n == 0)
		return fail(c, line, "tag without a name");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			return fail(c, line, "unclosed tag");
		if (is_space(s[i]))
			return fail(c, line, "bad tag name '%.*s'", (int)n, s);
	}
	if ((kind == TK_VAR || kind == TK_RAW || kind == TK_SECTION || kind == TK_INVERTED)
	    && !(n == 1 && s[0] == '.')) {
		if (s[0] == '.' || s[n - 1] == '.' || memmem(s, n, "..", 2))
			return fail(c, line, "bad tag name '%.*s'", (int)n, s);
	}
	return 0;
}

static const char *kind_word(unsigned char kind)
{
	switch (kind) {
	case TK_PARENT: return "parent";
	case TK_BLOCK: return "block";
	default: return "section";
	}
}

/* Splits src into text and tags, following set-delimiter tags, and pairs
 * every opening tag with its closing tag. */
static int tokenize(struct comp *c)
{
	const char *src = c->src, *end = c->src + c->len;
	const char *ot = "{{", *ct = "}}";
	size_t otn = 2, ctn = 2, pos = 0, line = 1;
	size_t open[MST_MAX_NESTING];
	size_t nopen = 0;

	while (pos < c->len) {
		const char *o = find(src + pos, c->len - pos, ot, otn);
		size_t tstart = o ? (size_t)(o - src) : c->len;
		add_text(c, pos, tstart, &line);
		if (!o)
			break;
		const char *p = o + otn;
		const char *q;
		unsigned char kind;
		char sig = p < end ? *p : '\0';
		size_t skip = 1;
		switch (sig) {
		case '{':
			kind = TK_RAW;
			q = find_after(p + 1, end, '}', ct, ctn);
			break;
		case '=':
			kind = TK_DELIM;
			q = find_after(p + 1, end, '=', ct, ctn);
			break;
		case '&': kind = TK_RAW; q = NULL; break;
		case '#': kind = TK_SECTION; q = NULL; break;
		case '^': kind = TK_INVERTED; q = NULL; break;
		case '/': kind = TK_CLOSE; q = NULL; break;
		case '!': kind = TK_COMMENT; q = NULL; break;
		case '>': kind = TK_PARTIAL; q = NULL; break;
		case '<': kind = TK_PARENT; q = NULL; break;
		case '$': kind = TK_BLOCK; q = NULL; break;
		default: kind = TK_VAR; q = NULL; skip = 0; break;
		}
		if (sig != '{' && sig != '=')
			q = find(p + skip, (size_t)(end - p) - skip, ct, ctn);
		if (!q)
			return fail(c, line, "unclosed tag");
		/* content between the sigil and the closing delimiter (minus the '}' or '=') */
		size_t a = (size_t)(p + skip - src);
		size_t b = (size_t)(q - src) - ((sig == '{' || sig == '=') ? 1 : 0);
		size_t after = (size_t)(q - src) + ctn;
		size_t tagline = line;
		for (size_t i = tstart; i < after; i++)
			if (src[i] == '\n')
				line++;
		while (a < b && is_space(src[a]))
			a++;
		while (b > a && is_space(src[b - 1]))
			b--;

		if (kind == TK_COMMENT) {
			push_tok(c, kind, a, b, tagline);
		} else if (kind == TK_DELIM) {
			/* two delimiters separated by whitespace, neither containing '=' */
			size_t m = a;
			while (m < b && !is_space(src[m]))
				m++;
			size_t r = m;
			while (r < b && is_space(src[r]))
				r++;
			int bad = m == a || r == b;
			for (size_t i = a; i < b && !bad; i++)
				if (src[i] == '=' || (i >= r && is_space(src[i])))
					bad = 1;
			if (bad)
				return fail(c, tagline, "bad set-delimiter tag");
			ot = src + a;
			otn = m - a;
			ct = src + r;
			ctn = b - r;
			push_tok(c, kind, a, b, tagline);
		} else {
			if (check_name(c, kind, a, b, tagline))
				return -1;
			struct tok *k = push_tok(c, kind, a, b, tagline);
			size_t idx = c->n - 1;
			if (kind == TK_SECTION || kind == TK_INVERTED || kind == TK_PARENT || kind == TK_BLOCK) {
				if (nopen == MST_MAX_NESTING)
					return fail(c, tagline, "sections nested too deeply (limit %d)", MST_MAX_NESTING);
				open[nopen++] = idx;
			} else if (kind == TK_CLOSE) {
				if (nopen == 0)
					return fail(c, tagline, "closing tag '%.*s' without an open section",
						    (int)(b - a), src + a);
				struct tok *o2 = &c->t[open[nopen - 1]];
				if (o2->end - o2->start != b - a || memcmp(src + o2->start, src + a, b - a) != 0)
					return fail(c, tagline, "mismatched closing tag '%.*s' (expected '%.*s')",
						    (int)(b - a), src + a, (int)(o2->end - o2->start), src + o2->start);
				k->match = open[nopen - 1];
				o2->match = idx;
				nopen--;
			}
		}
		pos = after;
	}
	if (nopen) {
		struct tok *o2 = &c->t[open[nopen - 1]];
		return fail(c, o2->line, "unclosed %s '%.*s'", kind_word(o2->kind),
			    (int)(o2->end - o2->start), c->src + o2->start);
	}
	return 0;
}

/* ---- standalone lines and block indentation --------------------------- */

static int ends_nl(const struct comp *c, const struct tok *k)
{
	return k->end > k->start && c->src[k->end - 1] == '\n';
}

static size_t ws_prefix(const struct comp *c, const struct tok *k)
{
	size_t i = k->start;
	while (i < k->end && (c->src[i] == ' ' || c->src[i] == '\t'))
		i++;
	return i - k->start;
}

/* Whitespace, then nothing, "\n" or "\r\n". */
static int ws_only(const struct comp *c, const struct tok *k)
{
	size_t i = k->start + ws_prefix(c, k);
	size_t rest = k->end - i;
	return rest == 0 || (rest == 1 && c->src[i] == '\n')
	       || (rest == 2 && c->src[i] == '\r' && c->src[i + 1] == '\n');
}

static int quiet(unsigned char kind)
{
	return kind != TK_TEXT && kind != TK_VAR && kind != TK_RAW;
}

/*
 * A line is standalone when, apart from whitespace, it holds one tag that
 * outputs nothing by itself, or one of the pairs that inheritance templates
 * put on a line: {{<p}}{{/p}}, {{$b}}{{/b}}, {{<p}}{{$b}} and {{/b}}{{/p}}.
 * Such a line loses its leading whitespace (which becomes the indentation of
 * a partial, parent or block) and its line ending, except that a {{$b}}{{/b}}
 * line keeps its line ending (spec PR #131: the block may expand to lines
 * that do not end in a newline).
 */
static void judge_line(struct comp *c, size_t a, size_t b)
{
	struct tok *t = c->t;
	size_t k = a, lead = NONE;
	if (t[k].kind == TK_TEXT) {
		if (!ws_only(c, &t[k]) || ends_nl(c, &t[k]))
			return;
		lead = k++;
	}
	if (k > b || t[k].kind == TK_TEXT)
		return;
	size_t t1 = k++, t2 = NONE;
	if (k <= b && t[k].kind != TK_TEXT)
		t2 = k++;
	if (k <= b && t[k].kind != TK_TEXT)
		return;
	size_t trail = NONE;
	if (k <= b) {
		if (k != b || !ws_only(c, &t[k]))
			return;
		trail = k;
	}
	int keep_nl = 0;
	if (t2 == NONE) {
		if (!quiet(t[t1].kind))
			return;
		t[t1].lead = lead;
	} else {
		unsigned char k1 = t[t1].kind, k2 = t[t2].kind;
		if (k2 == TK_CLOSE && t[t2].match == t1 && (k1 == TK_PARENT || k1 == TK_BLOCK)) {
			keep_nl = k1 == TK_BLOCK;
			t[t1].lead = lead;
		} else if (k1 == TK_PARENT && k2 == TK_BLOCK) {
			t[t1].lead = lead;
		} else if (k1 == TK_CLOSE && k2 == TK_CLOSE && t[t[t1].match].kind == TK_BLOCK
			   && t[t[t2].match].kind == TK_PARENT) {
			/* closes the parent's last block and the parent */
		} else {
			return;
		}
		t[t2].standalone = 1;
	}
	t[t1].standalone = 1;
	if (lead != NONE)
		t[lead].removed = 1;
	if (trail != NONE) {
		struct tok *tr = &t[trail];
		if (keep_nl && ends_nl(c, tr))
			tr->start = tr->end - (tr->end - tr->start >= 2 && c->src[tr->end - 2] == '\r' ? 2 : 1);
		else
			tr->removed = 1;
	}
}

static void mark_standalone(struct comp *c)
{
	size_t i = 0, lineidx = 0;
	while (i < c->n) {
		size_t b = i;
		while (b < c->n - 1 && !(c->t[b].kind == TK_TEXT && ends_nl(c, &c->t[b])))
			b++;
		for (size_t k = i; k <= b; k++)
			c->t[k].lineidx = lineidx;
		c->t[i].line_first = 1;
		judge_line(c, i, b);
		i = b + 1;
		lineidx++;
	}
}

static int blank_line(const struct comp *c, size_t j)
{
	const struct tok *k = &c->t[j];
	return k->kind == TK_TEXT && ws_only(c, k) && (ends_nl(c, k) || j == c->n - 1);
}

/*
 * The body of a standalone block is re-indented where it is expanded
 * ("Block reindentation" in the inheritance spec): its common leading
 * whitespace, taken like Python's textwrap.dedent over the source lines
 * (blank lines ignored), is removed here and the expansion site's added back.
 */
static void block_margins(struct comp *c)
{
	struct tok *t = c->t;
	for (size_t k = 0; k < c->n; k++) {
		if (t[k].kind != TK_BLOCK || !t[k].standalone)
			continue;
		size_t cl = t[k].match, ms = 0, ml = 0;
		int have = 0;
		for (size_t j = k + 1; j < cl; j++) {
			if (!t[j].line_first)
				continue;
			if (t[cl].standalone && t[j].lineidx == t[cl].lineidx)
				break;
			size_t ws = 0;
			if (t[j].kind == TK_TEXT) {
				if (blank_line(c, j))
					continue;
				ws = ws_prefix(c, &t[j]);
			}
			if (!have) {
				ms = t[j].start;
				ml = ws;
				have = 1;
			} else {
				size_t m = 0;
				while (m < ml && m < ws && c->src[ms + m] == c->src[t[j].start + m])
					m++;
				ml = m;
			}
		}
		t[k].mstart = ms;
		t[k].mlen = ml;
	}
}

/* Removes each body line's share of the innermost standalone block's margin. */
static void strip_margins(struct comp *c)
{
	size_t stack[MST_MAX_NESTING];
	size_t sp = 0;
	for (size_t j = 0; j < c->n; j++) {
		struct tok *k = &c->t[j];
		if (k->kind == TK_CLOSE && c->t[k->match].kind == TK_BLOCK && c->t[k->match].standalone)
			sp--;
		if (k->kind == TK_TEXT && k->line_first && sp) {
			size_t w = ws_prefix(c, k);
			if (!blank_line(c, j) && w > stack[sp - 1])
				w = stack[sp - 1];
			k->start += w;
		}
		if (k->kind == TK_BLOCK && k->standalone)
			stack[sp++] = k->mlen;
	}
}

/* ---- building the tree ------------------------------------------------ */

static char *pool_alloc(struct comp *c, size_t n)
{
	struct chunk *ch = c->chunks;
	if (!ch || ch->cap - ch->used < n) {
		size_t cap = n > 4096 ? n : 4096;
		if (!ch && c->len + c->n + 1 > cap)
			cap = c->len + c->n + 1;
		ch = xmalloc(sizeof *ch + cap);
		ch->cap = cap;
		ch->used = 0;
		ch->next = c->chunks;
		c->chunks = ch;
	}
	char *p = ch->data + ch->used;
	ch->used += n;
	return p;
}

static const char *pool_str(struct comp *c, const char *s, size_t n)
{
	char *p = pool_alloc(c, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

struct frame {
	struct node *kids;
	size_t n, cap;
	size_t open;     /* token index of the opening tag; NONE for the template */
	unsigned char flags;
	int body_start;  /* the next node appended gets F_BODY_START */
};

static void frame_add(struct frame *f, const struct node *nd)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->kids = xrealloc(f->kids, f->cap * sizeof *f->kids);
	}
	f->kids[f->n] = *nd;
	if (f->body_start && !(nd->flags & F_BOL))
		f->kids[f->n].flags |= F_BODY_START;
	f->body_start = 0;
	f->n++;
}

static void add_text_node(struct comp *c, struct frame *f, const char *s, size_t n, int bol)
{
	if (n == 0 && !bol)
		return;
	/* Appending to the previous text keeps render loops short; it is only
	 * allowed when the line-start marks stay where they were. */
	if (f->n > 0 && n > 0) {
		struct node *last = &f->kids[f->n - 1];
		struct chunk *ch = c->chunks;
		int last_nl = last->len > 0 && last->s[last->len - 1] == '\n';
		if (last->kind == N_TEXT && last_nl == !!bol && ch
		    && last->s + last->len == ch->data + ch->used && ch->cap - ch->used >= n) {
			memcpy(pool_alloc(c, n), s, n);
			last->len += n;
			return;
		}
	}
	struct node nd = {0};
	nd.kind = N_TEXT;
	nd.flags = bol ? F_BOL : 0;
	char *p = pool_alloc(c, n);
	if (n)
		memcpy(p, s, n);
	nd.s = p;
	nd.len = n;
	frame_add(f, &nd);
}

static void set_name(struct comp *c, struct node *nd, const struct tok *k, int split)
{
	size_t n = k->end - k->start;
	const char *s = c->src + k->start;
	char *p = pool_alloc(c, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	nd->s = p;
	if (!split)
		return;
	if (n == 1 && s[0] == '.') {
		nd->nparts = 0;
		return;
	}
	nd->nparts = 1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.') {
			p[i] = '\0';
			nd->nparts++;
		}
	}
}

static void free_nodes(struct node *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nodes[i].kids)
			free_nodes(nodes[i].kids, nodes[i].nkids);
	free(nodes);
}

static void set_indent(struct comp *c, struct node *nd, size_t lead)
{
	if (lead == NONE)
		return;
	const struct tok *l = &c->t[lead];
	nd->ind = pool_str(c, c->src + l->start, l->end - l->start);
	nd->indlen = l->end - l->start;
}

static void build(struct comp *c, struct mst_template *tpl)
{
	struct frame st[MST_MAX_NESTING + 1];
	size_t sp = 0;
	memset(&st[0], 0, sizeof st[0]);
	st[0].open = NONE;
	int bol = 1;

	for (size_t j = 0; j < c->n; j++) {
		const struct tok *k = &c->t[j];
		struct frame *f = &st[sp];
		struct node nd = {0};
		switch (k->kind) {
		case TK_TEXT:
			if (k->removed) {
				if (ends_nl(c, k))
					bol = 1;
				break;
			}
			add_text_node(c, f, c->src + k->start, k->end - k->start, bol);
			bol = ends_nl(c, k);
			break;
		case TK_VAR:
		case TK_RAW:
			nd.kind = N_VAR;
			nd.flags = (bol ? F_BOL : 0) | (k->kind == TK_VAR ? F_ESCAPE : 0);
			set_name(c, &nd, k, 1);
			frame_add(f, &nd);
			bol = 0;
			break;
		case TK_COMMENT:
		case TK_DELIM:
		case TK_CLOSE:
			/* outputs nothing, but a line starting with it still gets indented */
			if (!k->standalone && bol)
				add_text_node(c, f, "", 0, 1);
			bol = 0;
			if (k->kind != TK_CLOSE)
				break;
			{
				const struct tok *o = &c->t[k->match];
				struct frame done = st[sp--];
				f = &st[sp];
				nd.flags = done.flags;
				set_name(c, &nd, o, o->kind == TK_SECTION || o->kind == TK_INVERTED);
				switch (o->kind) {
				case TK_SECTION: nd.kind = N_SECTION; break;
				case TK_INVERTED: nd.kind = N_INVERTED; break;
				case TK_PARENT: nd.kind = N_PARENT; break;
				default: nd.kind = N_BLOCK; break;
				}
				if (nd.kind == N_PARENT) {
					/* only the blocks inside a parent tag mean anything */
					size_t m = 0;
					for (size_t i = 0; i < done.n; i++) {
						if (done.kids[i].kind == N_BLOCK)
							done.kids[m++] = done.kids[i];
						else if (done.kids[i].kids)
							free_nodes(done.kids[i].kids, done.kids[i].nkids);
					}
					done.n = m;
				}
				if (done.n == 0) {
					free(done.kids);
					done.kids = NULL;
				}
				nd.kids = done.kids;
				nd.nkids = done.n;
				if (nd.kind == N_PARENT && o->standalone)
					set_indent(c, &nd, o->lead);
				if (nd.kind == N_BLOCK && o->standalone) {
					/* indentation relative to the enclosing standalone block */
					size_t outer = 0;
					for (size_t i = sp + 1; i-- > 0;) {
						const struct tok *e = st[i].open == NONE ? NULL : &c->t[st[i].open];
						if (e && e->kind == TK_BLOCK && e->standalone) {
							outer = e->mlen;
							break;
						}
					}
					if (o->mlen > outer) {
						nd.ind = pool_str(c, c->src + o->mstart + outer, o->mlen - outer);
						nd.indlen = o->mlen - outer;
					} else {
						set_indent(c, &nd, o->lead);
					}
				}
				frame_add(f, &nd);
			}
			break;
		case TK_SECTION:
		case TK_INVERTED:
		case TK_PARENT:
		case TK_BLOCK:
			sp++;
			memset(&st[sp], 0, sizeof st[sp]);
			st[sp].open = j;
			st[sp].flags = k->standalone ? F_STANDALONE : (bol ? F_BOL : 0);
			if (k->kind == TK_SECTION || k->kind == TK_INVERTED)
				st[sp].flags &= (unsigned char)~F_STANDALONE;
			st[sp].body_start = k->kind == TK_BLOCK && !k->standalone;
			bol = 0;
			break;
		case TK_PARTIAL:
			nd.kind = N_PARTIAL;
			nd.flags = k->standalone ? F_STANDALONE : (bol ? F_BOL : 0);
			set_name(c, &nd, k, 0);
			if (k->standalone)
				set_indent(c, &nd, k->lead);
			frame_add(f, &nd);
			bol = 0;
			break;
		}
	}
	tpl->nodes = st[0].kids;
	tpl->nnodes = st[0].n;
}

mst_template *mst_compile(const char *src, size_t len, char *err, size_t errlen)
{
	struct comp c = {0};
	c.src = src ? src : "";
	c.len = src ? len : 0;
	c.err = err;
	c.errlen = err ? errlen : 0;
	if (c.errlen)
		err[0] = '\0';
	if (tokenize(&c)) {
		free(c.t);
		return NULL;
	}
	mark_standalone(&c);
	block_margins(&c);
	strip_margins(&c);
	mst_template *t = xcalloc(1, sizeof *t);
	build(&c, t);
	t->chunks = c.chunks;
	free(c.t);
	return t;
}

void mst_free(mst_template *t)
{
	if (!t)
		return;
	free_nodes(t->nodes, t->nnodes);
	for (struct chunk *ch = t->chunks, *next; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	free(t);
}

/* ---- rendering -------------------------------------------------------- */

struct ctxf {
	const json_t *v;
	const struct ctxf *up;
};

/* Blocks passed down by the parent tags being expanded, innermost first. */
struct ovf {
	const struct node *parent;
	const struct ovf *up;
};

struct rst {
	buf *out;
	mst_partial_fn fn;
	void *fctx;
	int depth, xdepth;
	size_t ibase, itop; /* active indentation: ind[ibase..itop) */
	struct {
		const char *s;
		size_t n;
	} ind[MST_MAX_DEPTH];
};

static const json_t *lookup(const struct ctxf *c, const struct node *nd)
{
	if (nd->nparts == 0)
		return c->v;
	const char *p = nd->s;
	const json_t *v = NULL;
	for (; c; c = c->up)
		if (json_is_object(c->v) && (v = json_object_get(c->v, p)))
			break;
	for (size_t i = 1; v && i < nd->nparts; i++) {
		p += strlen(p) + 1;
		v = json_is_object(v) ? json_object_get(v, p) : NULL;
	}
	return v;
}

static int truthy(const json_t *v)
{
	if (!v)
		return 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return 1;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	case JSON_TRUE: return 1;
	default: return 0;
	}
}

/* Shortest %g form that reads back as the same double, so 1.21 stays "1.21". */
static size_t fmt_real(char *b, size_t sz, double d)
{
	int n = 0;
	for (int prec = 1; prec <= 17; prec++) {
		n = snprintf(b, sz, "%.*g", prec, d);
		if (strtod(b, NULL) == d)
			break;
	}
	for (char *p = b; *p; p++)
		if (*p == ',') /* a locale with a decimal comma */
			*p = '.';
	return n > 0 && (size_t)n < sz ? (size_t)n : strlen(b);
}

static void put_value(buf *out, const json_t *v, int esc)
{
	char tmp[64];
	const char *s;
	size_t n;
	if (!v)
		return;
	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER: {
		int k = snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		s = tmp;
		n = k > 0 ? (size_t)k : 0;
		break;
	}
	case JSON_REAL:
		n = fmt_real(tmp, sizeof tmp, json_real_value(v));
		s = tmp;
		break;
	case JSON_TRUE: s = "true"; n = 4; break;
	case JSON_FALSE: s = "false"; n = 5; break;
	default: return;
	}
	if (esc)
		buf_html_escape(out, s, n);
	else
		buf_append(out, s, n);
}

static void emit_indent(struct rst *r)
{
	for (size_t i = r->ibase; i < r->itop; i++)
		buf_append(r->out, r->ind[i].s, r->ind[i].n);
}

static void put_text(struct rst *r, const struct node *nd)
{
	if (r->itop == r->ibase) {
		buf_append(r->out, nd->s, nd->len);
		return;
	}
	/* every template line inside the text starts with the indentation */
	const char *p = nd->s, *end = nd->s + nd->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			buf_append(r->out, p, (size_t)(end - p));
			break;
		}
		buf_append(r->out, p, (size_t)(nl + 1 - p));
		p = nl + 1;
		if (p < end)
			emit_indent(r);
	}
}

/* Root-most match wins: the outermost template's blocks take precedence. */
static const struct node *find_block(const struct ovf *ov, const char *name)
{
	const struct node *found = NULL;
	for (; ov; ov = ov->up) {
		for (size_t i = 0; i < ov->parent->nkids; i++) {
			if (strcmp(ov->parent->kids[i].s, name) == 0) {
				found = &ov->parent->kids[i];
				break;
			}
		}
	}
	return found;
}

static int render(struct rst *r, const struct node *nodes, size_t n,
		  const struct ctxf *c, const struct ovf *ov, int body_start);

/* Renders nodes that come from elsewhere (a partial, a parent, an overriding
 * block) in place of nd. Standalone: each of their lines gets nd's
 * indentation on top of the current one. Inline: they start mid-line and,
 * as in the spec's textual model, get no indentation at all. */
static int expand(struct rst *r, const struct node *nd, const struct node *nodes, size_t n,
		  const struct ctxf *c, const struct ovf *ov, int counts)
{
	int rc;
	if (counts && r->xdepth >= MST_MAX_PARTIAL_DEPTH)
		return -1;
	r->xdepth += counts;
	if (nd->flags & F_STANDALONE) {
		if (r->itop >= MST_MAX_DEPTH) {
			r->xdepth -= counts;
			return -1;
		}
		r->ind[r->itop].s = nd->ind;
		r->ind[r->itop].n = nd->indlen;
		r->itop++;
		rc = render(r, nodes, n, c, ov, 1);
		r->itop--;
	} else {
		size_t base = r->ibase;
		r->ibase = r->itop;
		rc = render(r, nodes, n, c, ov, 0);
		r->ibase = base;
	}
	r->xdepth -= counts;
	return rc;
}

static int render(struct rst *r, const struct node *nodes, size_t n,
		  const struct ctxf *c, const struct ovf *ov, int body_start)
{
	if (r->depth >= MST_MAX_DEPTH)
		return -1;
	r->depth++;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct node *nd = &nodes[i];
		if (r->itop > r->ibase
		    && ((nd->flags & F_BOL) || (body_start && (nd->flags & F_BODY_START))))
			emit_indent(r);
		switch (nd->kind) {
		case N_TEXT:
			put_text(r, nd);
			break;
		case N_VAR:
			put_value(r->out, lookup(c, nd), nd->flags & F_ESCAPE);
			break;
		case N_SECTION: {
			const json_t *v = lookup(c, nd);
			if (!truthy(v))
				break;
			if (json_is_array(v)) {
				size_t cnt = json_array_size(v);
				for (size_t k = 0; k < cnt && rc == 0; k++) {
					struct ctxf f = {json_array_get(v, k), c};
					rc = render(r, nd->kids, nd->nkids, &f, ov, 0);
				}
			} else {
				struct ctxf f = {v, c};
				rc = render(r, nd->kids, nd->nkids, &f, ov, 0);
			}
			break;
		}
		case N_INVERTED:
			if (!truthy(lookup(c, nd)))
				rc = render(r, nd->kids, nd->nkids, c, ov, 0);
			break;
		case N_PARTIAL: {
			const mst_template *t = r->fn ? r->fn(r->fctx, nd->s) : NULL;
			if (t)
				rc = expand(r, nd, t->nodes, t->nnodes, c, ov, 1);
			break;
		}
		case N_PARENT: {
			const mst_template *t = r->fn ? r->fn(r->fctx, nd->s) : NULL;
			struct ovf o = {nd, ov};
			if (t)
				rc = expand(r, nd, t->nodes, t->nnodes, c, &o, 1);
			break;
		}
		case N_BLOCK: {
			const struct node *over = find_block(ov, nd->s);
			if (over)
				rc = expand(r, nd, over->kids, over->nkids, c, ov, 1);
			else if (nd->flags & F_STANDALONE)
				rc = expand(r, nd, nd->kids, nd->nkids, c, ov, 0);
			else
				rc = render(r, nd->kids, nd->nkids, c, ov, 0);
			break;
		}
		}
	}
	r->depth--;
	return rc;
}

int mst_render(const mst_template *t, const json_t *data, mst_partial_fn partials, void *ctx, buf *out)
{
	struct rst r;
	r.out = out;
	r.fn = partials;
	r.fctx = ctx;
	r.depth = 0;
	r.xdepth = 0;
	r.ibase = 0;
	r.itop = 0;
	struct ctxf root = {data, NULL};
	if (!t)
		return 0;
	return render(&r, t->nodes, t->nnodes, &root, NULL, 0);
}
