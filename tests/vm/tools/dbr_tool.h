/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the guest-side test tools: liburing-style conventions
 * (exit 0 pass, 1 fail, 77 skip; a failed check says what it expected).
 */
#ifndef DBR_TOOL_H
#define DBR_TOOL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_EXIT_PASS	0
#define T_EXIT_FAIL	1
#define T_EXIT_SKIP	77

#define t_fail(...) do {						\
	fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	exit(T_EXIT_FAIL);						\
} while (0)

#define t_skip(...) do {						\
	printf("SKIP: ");						\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
	exit(T_EXIT_SKIP);						\
} while (0)

/* Expect @call (an ioctl-like expression) to fail with @err, or succeed if 0. */
#define t_expect_errno(call, err) do {					\
	int __r = (call);						\
	int __e = __r < 0 ? errno : 0;					\
	if (__e != (err))						\
		t_fail("%s: got %s (%d), want %s", #call,		\
		       __e ? strerror(__e) : "success", __r,		\
		       (err) ? strerror(err) : "success");		\
} while (0)

/* Read one decimal counter from a file; -1 if absent. */
static inline long long t_read_counter(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * Test data pattern shared by the tools. The 8-byte word at byte offset @off
 * (a multiple of 8) of the data set @seed is
 *
 *	DBR_PAT_KEY ^ ((u64)seed << 48 | off)		seed < 2^16, off < 2^48
 *
 * so every word names its origin: a word found in the wrong place decodes
 * to the seed and offset it came from (dbr_pat_seed(), dbr_pat_off()), and
 * no pattern word is ever 0, so zeros where data belongs are caught too.
 * Files use their file offset; DBR_PAT_CANARY is reserved for marking
 * buffer bytes that no request may touch, keyed by buffer offset.
 */
#define DBR_PAT_KEY	0x9e3779b97f4a7c15ULL
#define DBR_PAT_CANARY	0xffffU

static inline unsigned long long dbr_pat(unsigned int seed,
					 unsigned long long off)
{
	return DBR_PAT_KEY ^ ((unsigned long long)seed << 48 |
			      (off & ((1ULL << 48) - 1)));
}

static inline unsigned int dbr_pat_seed(unsigned long long word)
{
	return (word ^ DBR_PAT_KEY) >> 48;
}

static inline unsigned long long dbr_pat_off(unsigned long long word)
{
	return (word ^ DBR_PAT_KEY) & ((1ULL << 48) - 1);
}

#endif /* DBR_TOOL_H */
