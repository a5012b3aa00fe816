// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Context settings: defaults, then the caller's options, then the
 * environment (DMABRIDGE_COMPAT, DMABRIDGE_CHUNK_SIZE,
 * DMABRIDGE_QUEUE_DEPTH), each value remembering where it came from. Pure:
 * the environment is read through a callback so tests can supply one.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* "4096", "64K", "1M", "1G": a byte count, K/M/G are powers of 1024. */
int __dmab_parse_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case 'k': case 'K': mult = 1ULL << 10; p++; break;
	case 'm': case 'M': mult = 1ULL << 20; p++; break;
	case 'g': case 'G': mult = 1ULL << 30; p++; break;
	}
	if (mult > 1 && *p == 'i')	/* "1MiB", "1Mi" */
		p++;
	if (mult > 1 && (*p == 'b' || *p == 'B'))
		p++;
	if (*p)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

int __dmab_parse_compat(const char *s, uint32_t *out)
{
	static const struct { const char *name; uint32_t v; } names[] = {
		{ "auto", DMAB_COMPAT_AUTO },
		{ "on", DMAB_COMPAT_ON }, { "1", DMAB_COMPAT_ON },
		{ "yes", DMAB_COMPAT_ON }, { "true", DMAB_COMPAT_ON },
		{ "off", DMAB_COMPAT_OFF }, { "0", DMAB_COMPAT_OFF },
		{ "no", DMAB_COMPAT_OFF }, { "false", DMAB_COMPAT_OFF },
	};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].v;
			return 0;
		}
	}
	return -EINVAL;
}

static int check_chunk(uint64_t v)
{
	return v < DMAB_CHUNK_MIN || v > DMAB_CHUNK_MAX || v % DMAB_PAGE ?
	       -EINVAL : 0;
}

static int check_qd(uint64_t v)
{
	return v < 1 || v > DMAB_QUEUE_DEPTH_MAX ? -EINVAL : 0;
}

/*
 * Resolve @opts (may be NULL) and the environment into @s. A value out of
 * range, in the options or in the environment, is -EINVAL: a misspelt
 * DMABRIDGE_COMPAT=of must not silently mean auto.
 */
int __dmab_settings_resolve(const struct dmab_ctx_opts *opts,
			    __dmab_getenv_fn getenv_fn, void *arg,
			    struct dmab_settings *s)
{
	uint32_t set = 0;
	const char *v;
	uint64_t n;
	int ret;

	*s = (struct dmab_settings){
		.compat = DMAB_COMPAT_AUTO, .queue_depth = DMAB_DEFAULT_QD,
		.chunk_size = DMAB_DEFAULT_CHUNK,
	};
	snprintf(s->ctl_path, sizeof(s->ctl_path), "%s", DMAB_CTL_DEFAULT);

	if (opts) {
		if (opts->size < offsetof(struct dmab_ctx_opts, reserved) ||
		    opts->set & ~DMAB_OPT__ALL)
			return -EINVAL;
		if (opts->size >= sizeof(*opts))
			for (size_t i = 0; i < 4; i++)
				if (opts->reserved[i])
					return -EINVAL;
		set = opts->set;
	}
	if (set & DMAB_OPT_COMPAT) {
		if (opts->compat > DMAB_COMPAT_OFF)
			return -EINVAL;
		s->compat = opts->compat;
		s->compat_src = DMAB_SRC_OPTION;
	}
	if (set & DMAB_OPT_CHUNK_SIZE) {
		if (check_chunk(opts->chunk_size))
			return -EINVAL;
		s->chunk_size = opts->chunk_size;
		s->chunk_size_src = DMAB_SRC_OPTION;
	}
	if (set & DMAB_OPT_QUEUE_DEPTH) {
		if (check_qd(opts->queue_depth))
			return -EINVAL;
		s->queue_depth = opts->queue_depth;
		s->queue_depth_src = DMAB_SRC_OPTION;
	}
	if (set & DMAB_OPT_CTL_PATH) {
		if (!opts->ctl_path || !*opts->ctl_path ||
		    strlen(opts->ctl_path) >= sizeof(s->ctl_path))
			return -EINVAL;
		snprintf(s->ctl_path, sizeof(s->ctl_path), "%s", opts->ctl_path);
	}
	if ((set & DMAB_OPT_NO_ENV) || !getenv_fn)
		return 0;

	v = getenv_fn("DMABRIDGE_COMPAT", arg);
	if (v) {
		ret = __dmab_parse_compat(v, &s->compat);
		if (ret)
			return ret;
		s->compat_src = DMAB_SRC_ENV;
	}
	v = getenv_fn("DMABRIDGE_CHUNK_SIZE", arg);
	if (v) {
		if (__dmab_parse_size(v, &n) || check_chunk(n))
			return -EINVAL;
		s->chunk_size = n;
		s->chunk_size_src = DMAB_SRC_ENV;
	}
	v = getenv_fn("DMABRIDGE_QUEUE_DEPTH", arg);
	if (v) {
		if (__dmab_parse_size(v, &n) || check_qd(n))
			return -EINVAL;
		s->queue_depth = (uint32_t)n;
		s->queue_depth_src = DMAB_SRC_ENV;
	}
	return 0;
}
