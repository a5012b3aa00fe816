// SPDX-License-Identifier: GPL-2.0
/*
 * Settings (userspace/lib/settings.c): sizes and compat words parse or are
 * refused; defaults, options and environment resolve in that order, each
 * value naming its source; bad values anywhere are EINVAL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#include "check.h"

/* a fake environment: NAME=VALUE strings */
static const char *fake_env(const char *name, void *arg)
{
	const char *const *env = arg;
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static void sizes(void)
{
	static const struct { const char *s; int ret; uint64_t v; } t[] = {
		{ "0", 0, 0 }, { "4096", 0, 4096 }, { "64K", 0, 65536 },
		{ "64k", 0, 65536 }, { "1M", 0, 1 << 20 }, { "1MiB", 0, 1 << 20 },
		{ "2G", 0, 2ULL << 30 }, { "3MB", 0, 3 << 20 }, { "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 }, { "12Q", -EINVAL, 0 }, { "-1", -EINVAL, 0 },
		{ "1 M", -EINVAL, 0 }, { "99999999999999999999", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 }, { "0x10", -EINVAL, 0 },
		{ "10B", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		int r = __dmab_parse_size(t[i].s, &v);

		CHECK(r == t[i].ret, "\"%s\": %d, want %d", t[i].s, r, t[i].ret);
		if (!r && !t[i].ret)
			CHECK(v == t[i].v, "\"%s\": %llu", t[i].s, (unsigned long long)v);
	}
}

static void compat_words(void)
{
	static const struct { const char *s; int ret; uint32_t v; } t[] = {
		{ "auto", 0, DMAB_COMPAT_AUTO }, { "on", 0, DMAB_COMPAT_ON },
		{ "ON", 0, DMAB_COMPAT_ON }, { "1", 0, DMAB_COMPAT_ON },
		{ "off", 0, DMAB_COMPAT_OFF }, { "0", 0, DMAB_COMPAT_OFF },
		{ "false", 0, DMAB_COMPAT_OFF }, { "of", -EINVAL, 0 },
		{ "", -EINVAL, 0 }, { "autox", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint32_t v = 99;
		int r = __dmab_parse_compat(t[i].s, &v);

		CHECK(r == t[i].ret, "\"%s\": %d", t[i].s, r);
		if (!r)
			CHECK(v == t[i].v, "\"%s\": %u", t[i].s, v);
	}
}

static void resolve(void)
{
	struct dmab_ctx_opts o = { .size = sizeof(o) };
	struct dmab_settings s;
	const char *env_all[] = { "DMABRIDGE_COMPAT=off", "DMABRIDGE_CHUNK_SIZE=4M",
				  "DMABRIDGE_QUEUE_DEPTH=7", NULL };
	const char *env_bad[][2] = {
		{ "DMABRIDGE_COMPAT=maybe", NULL }, { "DMABRIDGE_CHUNK_SIZE=1000", NULL },
		{ "DMABRIDGE_CHUNK_SIZE=2G", NULL }, { "DMABRIDGE_CHUNK_SIZE=", NULL },
		{ "DMABRIDGE_QUEUE_DEPTH=0", NULL }, { "DMABRIDGE_QUEUE_DEPTH=4097", NULL },
		{ "DMABRIDGE_QUEUE_DEPTH=x", NULL },
	};

	/* defaults */
	CHECK(__dmab_settings_resolve(NULL, fake_env, NULL, &s) == 0, "defaults");
	CHECK(s.compat == DMAB_COMPAT_AUTO && s.compat_src == DMAB_SRC_DEFAULT &&
	      s.chunk_size == 1 << 20 && s.chunk_size_src == DMAB_SRC_DEFAULT &&
	      s.queue_depth == 32 && s.queue_depth_src == DMAB_SRC_DEFAULT &&
	      !strcmp(s.ctl_path, "/dev/dmabridge"), "defaults");
	/* options */
	o.set = DMAB_OPT_COMPAT | DMAB_OPT_CHUNK_SIZE | DMAB_OPT_QUEUE_DEPTH |
		DMAB_OPT_CTL_PATH;
	o.compat = DMAB_COMPAT_ON;
	o.chunk_size = 256 << 10;
	o.queue_depth = 64;
	o.ctl_path = "/tmp/ctl";
	CHECK(__dmab_settings_resolve(&o, fake_env, NULL, &s) == 0, "options");
	CHECK(s.compat == DMAB_COMPAT_ON && s.compat_src == DMAB_SRC_OPTION &&
	      s.chunk_size == 256 << 10 && s.chunk_size_src == DMAB_SRC_OPTION &&
	      s.queue_depth == 64 && s.queue_depth_src == DMAB_SRC_OPTION &&
	      !strcmp(s.ctl_path, "/tmp/ctl"), "options");
	/* the environment overrides the options */
	CHECK(__dmab_settings_resolve(&o, fake_env, env_all, &s) == 0, "env");
	CHECK(s.compat == DMAB_COMPAT_OFF && s.compat_src == DMAB_SRC_ENV &&
	      s.chunk_size == 4 << 20 && s.chunk_size_src == DMAB_SRC_ENV &&
	      s.queue_depth == 7 && s.queue_depth_src == DMAB_SRC_ENV, "env");
	/* ... unless the caller says not to read it */
	o.set |= DMAB_OPT_NO_ENV;
	CHECK(__dmab_settings_resolve(&o, fake_env, env_all, &s) == 0 &&
	      s.compat_src == DMAB_SRC_OPTION && s.queue_depth == 64, "no env");
	/* env alone over defaults */
	CHECK(__dmab_settings_resolve(NULL, fake_env, env_all, &s) == 0 &&
	      s.chunk_size_src == DMAB_SRC_ENV, "env over defaults");
	for (size_t i = 0; i < sizeof(env_bad) / sizeof(env_bad[0]); i++)
		CHECK(__dmab_settings_resolve(NULL, fake_env, env_bad[i], &s) == -EINVAL,
		      "%s accepted", env_bad[i][0]);
	/* bad options */
	struct dmab_ctx_opts bad;

	bad = (struct dmab_ctx_opts){ .size = sizeof(bad), .set = DMAB_OPT_CHUNK_SIZE,
				      .chunk_size = 4097 };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "chunk 4097");
	bad.chunk_size = 2ULL << 30;
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "chunk 2G");
	bad = (struct dmab_ctx_opts){ .size = sizeof(bad), .set = DMAB_OPT_QUEUE_DEPTH };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "qd 0");
	bad = (struct dmab_ctx_opts){ .size = sizeof(bad), .set = DMAB_OPT_COMPAT,
				      .compat = 3 };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "compat 3");
	bad = (struct dmab_ctx_opts){ .size = sizeof(bad), .set = DMAB_OPT_CTL_PATH };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "ctl NULL");
	bad = (struct dmab_ctx_opts){ .size = sizeof(bad), .set = 1U << 20 };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "unknown bit");
	bad = (struct dmab_ctx_opts){ .size = 4 };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "size 4");
	bad = (struct dmab_ctx_opts){ .size = sizeof(bad), .reserved = { 0, 0, 0, 1 } };
	CHECK(__dmab_settings_resolve(&bad, NULL, NULL, &s) == -EINVAL, "reserved");
}

int main(void)
{
	sizes();
	compat_words();
	resolve();
	if (failures) {
		printf("FAIL: %d failures\n", failures);
		return 1;
	}
	printf("ok: settings\n");
	return 0;
}
