/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Print backends of the dmabridge command. Commands describe what they
 * found as a tree of objects, lists and typed values; a backend renders
 * each finished document: text for people, JSON for scripts (snake_case
 * keys, numbers as numbers, one document per line in a stream). Commands
 * never format a value themselves: a size is out_bytes(), a throughput
 * out_rate(), and the backend decides how it reads.
 *
 *   out_obj(o, NULL);                 -- a document is an object
 *   out_str(o, "model", "QEMU NVMe Ctrl");
 *   out_bytes(o, "size", 1 << 30);    -- text "1.0 GiB", JSON 1073741824
 *   out_list(o, "namespaces", OUT_TABLE);
 *     out_obj(o, NULL); out_u64(o, "nsid", 1); out_end(o);
 *   out_end(o);                       -- the list
 *   out_end(o);                       -- the document: rendered now
 *
 * Text rendering: an object's scalars are "label: value" lines (label:
 * the key with '_' as ' '), nested objects indented under "label:", a list
 * of scalars one "label: a, b" line, a list of objects by its style: a
 * table with a header (OUT_TABLE), aligned rows without one (OUT_ROWS), or
 * one block per object (OUT_RECORDS). out_note() values of a row go on a
 * line of their own under it ("fix: ...").
 */
#ifndef DMABRIDGE_CLI_OUT_H
#define DMABRIDGE_CLI_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_FMT_TEXT, OUT_FMT_JSON };

enum out_style {
	OUT_RECORDS = 0,	/* one block per object */
	OUT_TABLE,		/* aligned columns under a header */
	OUT_ROWS,		/* aligned columns, no header */
};

struct out;

struct out *out_new(enum out_format fmt, FILE *f);
void out_free(struct out *o);
enum out_format out_format(const struct out *o);

/* Structure: an object or a list, closed by out_end(). key NULL inside a
 * list and for the document itself. */
void out_obj(struct out *o, const char *key);
void out_list(struct out *o, const char *key, enum out_style style);
void out_end(struct out *o);

/* Values. key NULL inside a list. */
void out_str(struct out *o, const char *key, const char *v);
void out_strf(struct out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void out_note(struct out *o, const char *key, const char *v);
void out_u64(struct out *o, const char *key, uint64_t v);
void out_i64(struct out *o, const char *key, int64_t v);
/* a number with this many decimals in text (JSON: the full value) */
void out_f64(struct out *o, const char *key, double v, int decimals);
void out_bool(struct out *o, const char *key, bool v);
void out_null(struct out *o, const char *key);
/* bytes: text in B/KiB/MiB/GiB/TiB, JSON the integer */
void out_bytes(struct out *o, const char *key, uint64_t v);
/* bytes per second: text "123.4 MiB/s", JSON a number */
void out_rate(struct out *o, const char *key, double bytes_per_s);
/* seconds: text "1.25 s" / "830 ms" / "12 us", JSON a number of seconds */
void out_secs(struct out *o, const char *key, double secs);

/* Pure helpers, also used by the unit tests. */
int out_fmt_bytes(char *buf, size_t len, uint64_t v);
int out_fmt_secs(char *buf, size_t len, double secs);
void out_json_string(FILE *f, const char *s);

#endif
