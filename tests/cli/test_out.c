// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The print backends: the same document rendered as text and as JSON.
 * JSON must parse (python3 checks it in cli_usage.sh too), keep numbers
 * as numbers and escape strings; text must align tables, put notes on a
 * line of their own and show sizes and rates in binary units.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

static char *render(enum out_format fmt, void (*doc)(struct out *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct out *o = out_new(fmt, f);

	doc(o);
	out_free(o);
	fclose(f);
	return buf;
}

static void doc1(struct out *o)
{
	out_obj(o, NULL);
	out_str(o, "model", "QEMU \"NVMe\"\n");
	out_bytes(o, "size", 2147483648ULL);
	out_rate(o, "throughput", 1.5 * 1048576);
	out_u64(o, "big", 18446744073709551615ULL);
	out_i64(o, "neg", -5);
	out_f64(o, "ratio", 0.25, 2);
	out_bool(o, "sgl", true);
	out_null(o, "none");
	out_secs(o, "t", 0.0125);
	out_list(o, "rows", OUT_TABLE);
	out_obj(o, NULL);
	out_str(o, "status", "OK");
	out_u64(o, "n", 1);
	out_note(o, "fix", "do this");
	out_end(o);
	out_obj(o, NULL);
	out_str(o, "status", "WARN");
	out_u64(o, "n", 1234);
	out_end(o);
	out_end(o);
	out_list(o, "names", OUT_RECORDS);
	out_str(o, NULL, "a");
	out_str(o, NULL, "b");
	out_end(o);
	out_list(o, "empty", OUT_TABLE);
	out_end(o);
	out_end(o);
}

int main(void)
{
	char *t, *j, buf[64];

	j = render(OUT_FMT_JSON, doc1);
	CHECK(!strcmp(j,
		"{\"model\":\"QEMU \\\"NVMe\\\"\\n\",\"size\":2147483648,"
		"\"throughput\":1572864,\"big\":18446744073709551615,\"neg\":-5,"
		"\"ratio\":0.25,\"sgl\":true,\"none\":null,\"t\":0.012500000000000001,"
		"\"rows\":[{\"status\":\"OK\",\"n\":1,\"fix\":\"do this\"},"
		"{\"status\":\"WARN\",\"n\":1234}],\"names\":[\"a\",\"b\"],\"empty\":[]}\n"));
	if (failures)
		fprintf(stderr, "json: %s", j);

	t = render(OUT_FMT_TEXT, doc1);
	CHECK(strstr(t, "model:      QEMU \"NVMe\"\n"));
	CHECK(strstr(t, "size:       2 GiB\n"));
	CHECK(strstr(t, "throughput: 1.5 MiB/s\n"));
	CHECK(strstr(t, "sgl:        yes\n"));
	CHECK(strstr(t, "none:       -\n"));
	CHECK(strstr(t, "t:          12.5 ms\n"));
	CHECK(strstr(t, "  STATUS     N\n  OK         1\n        fix: do this\n  WARN    1234\n"));
	CHECK(strstr(t, "names:      a, b\n"));
	CHECK(strstr(t, "empty:      none\n"));
	if (failures)
		fprintf(stderr, "text:\n%s", t);
	free(j);
	free(t);

	out_fmt_bytes(buf, sizeof(buf), 4096);
	CHECK(!strcmp(buf, "4 KiB"));
	out_fmt_bytes(buf, sizeof(buf), 1536);
	CHECK(!strcmp(buf, "1.5 KiB"));
	out_fmt_bytes(buf, sizeof(buf), 1000);
	CHECK(!strcmp(buf, "1000 B"));
	out_fmt_bytes(buf, sizeof(buf), 4ULL << 40);
	CHECK(!strcmp(buf, "4 TiB"));
	out_fmt_secs(buf, sizeof(buf), 2.5);
	CHECK(!strcmp(buf, "2.50 s"));
	out_fmt_secs(buf, sizeof(buf), 0.000012);
	CHECK(!strcmp(buf, "12.0 us"));
	if (failures)
		return 1;
	printf("ok: print backends\n");
	return 0;
}
