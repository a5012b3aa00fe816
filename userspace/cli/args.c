// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Argument parsers of the dmabridge command (pure: unit-tested on the host). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;
	unsigned int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	/* 4K, 4KiB, 4KB all mean 4096 */
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (shift && x > (~0ULL >> shift))
		return -EINVAL;
	*v = x << shift;
	return 0;
}

int parse_secs(const char *s, double *v)
{
	char *end;
	double x;

	if (!s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	x = strtod(s, &end);
	if (errno || end == s || !isfinite(x) || x < 0)
		return -EINVAL;
	if (!strcmp(end, "ms"))
		x /= 1000;
	else if (*end && strcmp(end, "s"))
		return -EINVAL;
	*v = x;
	return 0;
}

static int hexn(const char *s, int n, unsigned int *v)
{
	unsigned int x = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		x = x * 16 + (unsigned int)(isdigit((unsigned char)s[i]) ?
			s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	*v = x;
	return 0;
}

int parse_bdf(const char *s, char out[16])
{
	unsigned int dom = 0, bus, dev, fn;
	size_t len;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 12) {
		if (hexn(s, 4, &dom) || s[4] != ':')
			return -EINVAL;
		s += 5;
	} else if (len != 7) {
		return -EINVAL;
	}
	if (hexn(s, 2, &bus) || s[2] != ':' || hexn(s + 3, 2, &dev) ||
	    s[5] != '.' || hexn(s + 6, 1, &fn) || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, 16, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int parse_list(const char *s, uint64_t *v, unsigned int max,
		      unsigned int *n, int (*fn)(const char *, uint64_t *))
{
	char buf[512], *tok, *save = NULL;
	unsigned int k = 0;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[strlen(buf) - 1] == ',' || buf[0] == ',' || strstr(buf, ",,"))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (k == max || fn(tok, &v[k]))
			return -EINVAL;
		k++;
	}
	*n = k;
	return k ? 0 : -EINVAL;
}

int parse_list_size(const char *s, uint64_t *v, unsigned int max, unsigned int *n)
{
	return parse_list(s, v, max, n, parse_size);
}

int parse_list_u64(const char *s, uint64_t *v, unsigned int max, unsigned int *n)
{
	return parse_list(s, v, max, n, parse_u64);
}

int parse_name(const char *s, const char *const *names)
{
	int i;

	for (i = 0; s && names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -EINVAL;
}

int parse_list_names(const char *s, const char *const *names, uint32_t *mask)
{
	char buf[256], *tok, *save = NULL;
	uint32_t m = 0;
	int i;

	if (!s || !*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	if (buf[strlen(buf) - 1] == ',' || buf[0] == ',' || strstr(buf, ",,"))
		return -EINVAL;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		i = parse_name(tok, names);
		if (i < 0 || i >= 32)
			return -EINVAL;
		m |= 1U << i;
	}
	*mask = m;
	return m ? 0 : -EINVAL;
}

int args_take_json(int argc, char **argv, bool *json)
{
	int i, j = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if (!strcmp(argv[i], "--json")) {
			*json = true;
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	return j;
}
