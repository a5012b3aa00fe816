/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CHECK() for the library's host tests: report a failed condition with its
 * place and a message, count it, and stop after DBR_CHECK_MAX failures
 * (a broken planner would otherwise print thousands).
 */
#ifndef DBR_TESTS_LIB_CHECK_H
#define DBR_TESTS_LIB_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define DBR_CHECK_MAX	20

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		if (++failures > DBR_CHECK_MAX)				\
			exit(1);					\
	}								\
} while (0)

#endif /* DBR_TESTS_LIB_CHECK_H */
