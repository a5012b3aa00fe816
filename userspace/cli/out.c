// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Print backends (out.h): values are collected into a small tree, and a
 * document is rendered as a whole when it closes, so the text backend can
 * align columns and the JSON backend write one line per document.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

enum node_type { N_OBJ, N_LIST, N_STR, N_U64, N_I64, N_F64, N_BOOL, N_NULL };
enum node_unit { U_PLAIN, U_BYTES, U_RATE, U_SECS };

struct node {
	enum node_type type;
	enum node_unit unit;
	enum out_style style;
	bool note;
	int decimals;
	char *key;
	char *s;
	union { uint64_t u; int64_t i; double d; bool b; } v;
	struct node *parent, *first, *last, *next;
};

struct out {
	enum out_format fmt;
	FILE *f;
	struct node *root, *cur;
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p) {
		fputs("dmabridge: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

static char *xstrdup(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	p = strdup(s);
	if (!p) {
		fputs("dmabridge: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

struct out *out_new(enum out_format fmt, FILE *f)
{
	struct out *o = xcalloc(1, sizeof(*o));

	o->fmt = fmt;
	o->f = f;
	return o;
}

static void node_free(struct node *n)
{
	struct node *c, *next;

	if (!n)
		return;
	for (c = n->first; c; c = next) {
		next = c->next;
		node_free(c);
	}
	free(n->key);
	free(n->s);
	free(n);
}

void out_free(struct out *o)
{
	if (!o)
		return;
	node_free(o->root);
	free(o);
}

enum out_format out_format(const struct out *o)
{
	return o->fmt;
}

static struct node *add(struct out *o, enum node_type t, const char *key)
{
	struct node *n = xcalloc(1, sizeof(*n));

	n->type = t;
	n->key = xstrdup(key);
	if (!o->cur) {
		/* a new document; a stray value outside one is its own */
		node_free(o->root);
		o->root = n;
		return n;
	}
	n->parent = o->cur;
	if (o->cur->last)
		o->cur->last->next = n;
	else
		o->cur->first = n;
	o->cur->last = n;
	return n;
}

static void render(struct out *o);

void out_obj(struct out *o, const char *key)
{
	o->cur = add(o, N_OBJ, key);
}

void out_list(struct out *o, const char *key, enum out_style style)
{
	struct node *n = add(o, N_LIST, key);

	n->style = style;
	o->cur = n;
}

void out_end(struct out *o)
{
	if (!o->cur)
		return;
	o->cur = o->cur->parent;
	if (!o->cur)
		render(o);
}

void out_str(struct out *o, const char *key, const char *v)
{
	struct node *n;

	if (!v) {
		out_null(o, key);
		return;
	}
	n = add(o, N_STR, key);
	n->s = xstrdup(v);
}

void out_strf(struct out *o, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	out_str(o, key, s ? s : "");
	free(s);
}

void out_note(struct out *o, const char *key, const char *v)
{
	out_str(o, key, v);
	if (o->cur && o->cur->last)
		o->cur->last->note = true;
}

void out_u64(struct out *o, const char *key, uint64_t v)
{
	add(o, N_U64, key)->v.u = v;
}

void out_i64(struct out *o, const char *key, int64_t v)
{
	add(o, N_I64, key)->v.i = v;
}

void out_f64(struct out *o, const char *key, double v, int decimals)
{
	struct node *n = add(o, N_F64, key);

	n->v.d = v;
	n->decimals = decimals;
}

void out_bool(struct out *o, const char *key, bool v)
{
	add(o, N_BOOL, key)->v.b = v;
}

void out_null(struct out *o, const char *key)
{
	add(o, N_NULL, key);
}

void out_bytes(struct out *o, const char *key, uint64_t v)
{
	struct node *n = add(o, N_U64, key);

	n->v.u = v;
	n->unit = U_BYTES;
}

void out_rate(struct out *o, const char *key, double bytes_per_s)
{
	struct node *n = add(o, N_F64, key);

	n->v.d = bytes_per_s;
	n->unit = U_RATE;
	n->decimals = 1;
}

void out_secs(struct out *o, const char *key, double secs)
{
	struct node *n = add(o, N_F64, key);

	n->v.d = secs;
	n->unit = U_SECS;
}

/* ---- helpers ------------------------------------------------------------ */

static const char *const bin_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

int out_fmt_bytes(char *buf, size_t len, uint64_t v)
{
	double d = (double)v;
	int u = 0;

	if (v < 1024)
		return snprintf(buf, len, "%llu B", (unsigned long long)v);
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	/* exact multiples read as such: 4 KiB, 1 MiB */
	if (d == floor(d))
		return snprintf(buf, len, "%.0f %s", d, bin_units[u]);
	return snprintf(buf, len, "%.1f %s", d, bin_units[u]);
}

static int fmt_rate(char *buf, size_t len, double r)
{
	int u = 0;

	if (!isfinite(r))
		return snprintf(buf, len, "-");
	while (r >= 1024 && u < 5) {
		r /= 1024;
		u++;
	}
	return snprintf(buf, len, "%.1f %s/s", r, bin_units[u]);
}

int out_fmt_secs(char *buf, size_t len, double s)
{
	if (!isfinite(s))
		return snprintf(buf, len, "-");
	if (s >= 1 || s == 0)
		return snprintf(buf, len, "%.2f s", s);
	if (s >= 1e-3)
		return snprintf(buf, len, "%.1f ms", s * 1e3);
	return snprintf(buf, len, "%.1f us", s * 1e6);
}

void out_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* ---- JSON --------------------------------------------------------------- */

static void json_node(FILE *f, const struct node *n, bool in_obj)
{
	const struct node *c;

	if (in_obj) {
		out_json_string(f, n->key ? n->key : "");
		fputc(':', f);
	}
	switch (n->type) {
	case N_OBJ:
	case N_LIST:
		fputc(n->type == N_OBJ ? '{' : '[', f);
		for (c = n->first; c; c = c->next) {
			json_node(f, c, n->type == N_OBJ);
			if (c->next)
				fputc(',', f);
		}
		fputc(n->type == N_OBJ ? '}' : ']', f);
		break;
	case N_STR:
		out_json_string(f, n->s);
		break;
	case N_U64:
		fprintf(f, "%llu", (unsigned long long)n->v.u);
		break;
	case N_I64:
		fprintf(f, "%lld", (long long)n->v.i);
		break;
	case N_F64:
		if (isfinite(n->v.d))
			fprintf(f, "%.17g", n->v.d);
		else
			fputs("null", f);
		break;
	case N_BOOL:
		fputs(n->v.b ? "true" : "false", f);
		break;
	case N_NULL:
		fputs("null", f);
		break;
	}
}

/* ---- text --------------------------------------------------------------- */

static void label(char *buf, size_t len, const char *key)
{
	size_t i;

	snprintf(buf, len, "%s", key ? key : "");
	for (i = 0; buf[i]; i++)
		if (buf[i] == '_')
			buf[i] = ' ';
}

static bool is_scalar(const struct node *n)
{
	return n->type != N_OBJ && n->type != N_LIST;
}

static bool is_scalar_list(const struct node *n)
{
	const struct node *c;

	if (n->type != N_LIST)
		return false;
	for (c = n->first; c; c = c->next)
		if (!is_scalar(c))
			return false;
	return true;
}

static void text_scalar(char *buf, size_t len, const struct node *n)
{
	switch (n->type) {
	case N_STR:
		snprintf(buf, len, "%s", n->s);
		break;
	case N_U64:
		if (n->unit == U_BYTES)
			out_fmt_bytes(buf, len, n->v.u);
		else
			snprintf(buf, len, "%llu", (unsigned long long)n->v.u);
		break;
	case N_I64:
		snprintf(buf, len, "%lld", (long long)n->v.i);
		break;
	case N_F64:
		if (n->unit == U_RATE)
			fmt_rate(buf, len, n->v.d);
		else if (n->unit == U_SECS)
			out_fmt_secs(buf, len, n->v.d);
		else if (!isfinite(n->v.d))
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.*f", n->decimals, n->v.d);
		break;
	case N_BOOL:
		snprintf(buf, len, "%s", n->v.b ? "yes" : "no");
		break;
	case N_NULL:
		snprintf(buf, len, "-");
		break;
	default:
		buf[0] = 0;
	}
}

/* a cell: a scalar, or a list of scalars joined by ", " */
static void text_cell(char *buf, size_t len, const struct node *n)
{
	const struct node *c;
	size_t used = 0;
	char one[256];

	if (is_scalar(n)) {
		text_scalar(buf, len, n);
		return;
	}
	buf[0] = 0;
	if (!is_scalar_list(n))
		return;
	for (c = n->first; c; c = c->next) {
		text_scalar(one, sizeof(one), c);
		used += snprintf(buf + used, used < len ? len - used : 0, "%s%s",
				 used ? ", " : "", one);
		if (used >= len)
			break;
	}
	if (!n->first)
		snprintf(buf, len, "-");
}

static void text_obj(FILE *f, const struct node *n, int indent);

static bool numeric(const struct node *n)
{
	return n->type == N_U64 || n->type == N_I64 || n->type == N_F64;
}

static void text_table(FILE *f, const struct node *list, int indent)
{
	enum { MAXCOL = 32 };
	const char *keys[MAXCOL];
	size_t width[MAXCOL] = { 0 };
	bool right[MAXCOL] = { false };
	int ncol = 0, i;
	const struct node *row, *c;
	char cell[512], lab[128];

	/* columns: the union of the rows' non-note keys, in first-seen order */
	for (row = list->first; row; row = row->next) {
		if (row->type != N_OBJ)
			continue;
		for (c = row->first; c; c = c->next) {
			if (c->note || (!is_scalar(c) && !is_scalar_list(c)))
				continue;
			for (i = 0; i < ncol; i++)
				if (!strcmp(keys[i], c->key ? c->key : ""))
					break;
			if (i == ncol && ncol < MAXCOL) {
				keys[ncol] = c->key ? c->key : "";
				right[ncol] = numeric(c);
				ncol++;
			}
			if (i < ncol) {
				text_cell(cell, sizeof(cell), c);
				if (strlen(cell) > width[i])
					width[i] = strlen(cell);
			}
		}
	}
	if (list->style == OUT_TABLE)
		for (i = 0; i < ncol; i++) {
			label(lab, sizeof(lab), keys[i]);
			if (strlen(lab) > width[i])
				width[i] = strlen(lab);
		}
	if (list->style == OUT_TABLE && ncol) {
		fprintf(f, "%*s", indent, "");
		for (i = 0; i < ncol; i++) {
			size_t k;

			label(lab, sizeof(lab), keys[i]);
			for (k = 0; lab[k]; k++)
				lab[k] = (char)(lab[k] >= 'a' && lab[k] <= 'z' ?
						lab[k] - 32 : lab[k]);
			if (i == ncol - 1 && !right[i])
				fprintf(f, "%s", lab);
			else
				fprintf(f, right[i] ? "%*s" : "%-*s", (int)width[i], lab);
			fputs(i == ncol - 1 ? "\n" : "  ", f);
		}
	}
	for (row = list->first; row; row = row->next) {
		if (row->type != N_OBJ) {
			text_cell(cell, sizeof(cell), row);
			fprintf(f, "%*s%s\n", indent, "", cell);
			continue;
		}
		fprintf(f, "%*s", indent, "");
		for (i = 0; i < ncol; i++) {
			cell[0] = 0;
			for (c = row->first; c; c = c->next)
				if (!c->note && !strcmp(keys[i], c->key ? c->key : "")) {
					text_cell(cell, sizeof(cell), c);
					break;
				}
			if (i == ncol - 1 && !right[i])
				fprintf(f, "%s", cell);
			else
				fprintf(f, right[i] ? "%*s" : "%-*s", (int)width[i], cell);
			if (i < ncol - 1)
				fputs("  ", f);
		}
		fputc('\n', f);
		for (c = row->first; c; c = c->next) {
			if (!c->note)
				continue;
			label(lab, sizeof(lab), c->key);
			text_scalar(cell, sizeof(cell), c);
			fprintf(f, "%*s%s: %s\n", indent + 6, "", lab, cell);
		}
		/* nested objects and lists of objects under the row */
		for (c = row->first; c; c = c->next) {
			if (is_scalar(c) || is_scalar_list(c))
				continue;
			label(lab, sizeof(lab), c->key);
			if (c->type == N_LIST && c->style != OUT_RECORDS) {
				if (c->first)
					text_table(f, c, indent + 6);
			} else {
				fprintf(f, "%*s%s:\n", indent + 6, "", lab);
				text_obj(f, c, indent + 8);
			}
		}
	}
}

static void text_obj(FILE *f, const struct node *n, int indent)
{
	const struct node *c;
	size_t w = 0;
	char lab[128], cell[1024];
	bool first_record;

	if (n->type == N_LIST) {
		if (n->style != OUT_RECORDS) {
			text_table(f, n, indent);
			return;
		}
		first_record = true;
		for (c = n->first; c; c = c->next) {
			if (!first_record)
				fputc('\n', f);
			first_record = false;
			if (is_scalar(c)) {
				text_scalar(cell, sizeof(cell), c);
				fprintf(f, "%*s%s\n", indent, "", cell);
			} else {
				text_obj(f, c, indent);
			}
		}
		return;
	}
	for (c = n->first; c; c = c->next)
		if ((is_scalar(c) || is_scalar_list(c)) && c->key) {
			label(lab, sizeof(lab), c->key);
			if (strlen(lab) > w)
				w = strlen(lab);
		}
	for (c = n->first; c; c = c->next) {
		label(lab, sizeof(lab), c->key);
		if (c->type == N_LIST && !c->first) {
			fprintf(f, "%*s%s:%*s none\n", indent, "", lab,
				(int)(w - strlen(lab)), "");
		} else if (is_scalar(c) || is_scalar_list(c)) {
			text_cell(cell, sizeof(cell), c);
			fprintf(f, "%*s%s:%*s %s\n", indent, "", lab,
				(int)(w - strlen(lab)), "", cell);
		} else {
			fprintf(f, "%*s%s:\n", indent, "", lab);
			text_obj(f, c, indent + 2);
		}
	}
}

static void render(struct out *o)
{
	if (!o->root)
		return;
	if (o->fmt == OUT_FMT_JSON) {
		json_node(o->f, o->root, false);
		fputc('\n', o->f);
	} else if (is_scalar(o->root)) {
		char cell[1024];

		text_scalar(cell, sizeof(cell), o->root);
		fprintf(o->f, "%s\n", cell);
	} else {
		text_obj(o->f, o->root, 0);
	}
	fflush(o->f);
	node_free(o->root);
	o->root = NULL;
}
