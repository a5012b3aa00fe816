// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The command's argument parsers: sizes, seconds, PCI addresses, lists. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
	failures++; } } while (0)

int main(void)
{
	static const char *const paths[] = { "direct", "compat", "host", NULL };
	uint64_t v, list[8];
	unsigned int n;
	uint32_t mask;
	double d;
	char bdf[16];
	char a0[] = "dmabridge", a1[] = "--json", a2[] = "list", a3[] = "--",
	     a4[] = "--json";
	char *argv[] = { a0, a1, a2, a3, a4, NULL };
	bool json = false;

	CHECK(!parse_size("4096", &v) && v == 4096);
	CHECK(!parse_size("4K", &v) && v == 4096);
	CHECK(!parse_size("4k", &v) && v == 4096);
	CHECK(!parse_size("4KiB", &v) && v == 4096);
	CHECK(!parse_size("1M", &v) && v == 1048576);
	CHECK(!parse_size("2G", &v) && v == 2ULL << 30);
	CHECK(!parse_size("0", &v) && v == 0);
	CHECK(parse_size("", &v) == -EINVAL);
	CHECK(parse_size("-1", &v) == -EINVAL);
	CHECK(parse_size("4X", &v) == -EINVAL);
	CHECK(parse_size("4Ki", &v) == -EINVAL);
	CHECK(parse_size("1.5M", &v) == -EINVAL);
	CHECK(parse_size("99999999999999999999", &v) == -EINVAL);
	CHECK(parse_size("99999999999T", &v) == -EINVAL);
	CHECK(parse_size(NULL, &v) == -EINVAL);

	CHECK(!parse_u64("12", &v) && v == 12);
	CHECK(parse_u64("12a", &v) == -EINVAL);
	CHECK(parse_u64("+1", &v) == -EINVAL);

	CHECK(!parse_secs("2", &d) && d == 2);
	CHECK(!parse_secs("0.5", &d) && d == 0.5);
	CHECK(!parse_secs("250ms", &d) && d == 0.25);
	CHECK(!parse_secs("3s", &d) && d == 3);
	CHECK(parse_secs("soon", &d) == -EINVAL);
	CHECK(parse_secs("-1", &d) == -EINVAL);
	CHECK(parse_secs("1h", &d) == -EINVAL);
	CHECK(parse_secs("inf", &d) == -EINVAL);

	CHECK(!parse_bdf("0000:00:04.0", bdf) && !strcmp(bdf, "0000:00:04.0"));
	CHECK(!parse_bdf("00:04.0", bdf) && !strcmp(bdf, "0000:00:04.0"));
	CHECK(!parse_bdf("0000:3B:00.1", bdf) && !strcmp(bdf, "0000:3b:00.1"));
	CHECK(parse_bdf("0000:00:20.0", bdf) == -EINVAL);	/* device > 0x1f */
	CHECK(parse_bdf("0000:00:04.8", bdf) == -EINVAL);
	CHECK(parse_bdf("0000:00:04", bdf) == -EINVAL);
	CHECK(parse_bdf("nvme0", bdf) == -EINVAL);
	CHECK(parse_bdf("0000-00:04.0", bdf) == -EINVAL);
	CHECK(parse_bdf("", bdf) == -EINVAL);

	CHECK(!parse_list_size("4K,64K,1M", list, 8, &n) && n == 3 &&
	      list[0] == 4096 && list[1] == 65536 && list[2] == 1048576);
	CHECK(parse_list_size("4K,,1M", list, 8, &n) == -EINVAL);
	CHECK(parse_list_size("4K,", list, 8, &n) == -EINVAL);
	CHECK(parse_list_size("", list, 8, &n) == -EINVAL);
	CHECK(parse_list_size("1,2,3", list, 2, &n) == -EINVAL);
	CHECK(!parse_list_u64("1,32", list, 8, &n) && n == 2 && list[1] == 32);
	CHECK(parse_list_u64("1,x", list, 8, &n) == -EINVAL);

	CHECK(!parse_list_names("host,direct", paths, &mask) && mask == 5);
	CHECK(parse_list_names("direct,bogus", paths, &mask) == -EINVAL);
	CHECK(parse_list_names(",", paths, &mask) == -EINVAL);
	CHECK(parse_name("compat", paths) == 1);
	CHECK(parse_name("Compat", paths) == -EINVAL);

	/* --json anywhere before "--", kept after it */
	CHECK(args_take_json(5, argv, &json) == 4 && json &&
	      !strcmp(argv[1], "list") && !strcmp(argv[2], "--") &&
	      !strcmp(argv[3], "--json") && !argv[4]);

	if (failures)
		return 1;
	printf("ok: argument parsers\n");
	return 0;
}
