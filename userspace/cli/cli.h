/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * The dmabridge command: shared declarations. main.c holds the command
 * table; each command family has a file of its own (cmd_*.c) and prints
 * only through the backends of out.h.
 *
 * Exit status: 0 success, 1 failure, 2 bad usage (a usage message on
 * stderr); check: 0 all OK, 1 the worst is a WARN, 3 a FAIL.
 */
#ifndef DMABRIDGE_CLI_H
#define DMABRIDGE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "out.h"

#define EXIT_USAGE	2

struct cli {
	struct out *out;
	bool json;
	const char *prog;		/* "dmabridge" */
	const struct cli_cmd *cmd;	/* the command running */
};

struct cli_cmd {
	const char *name;
	const char *synopsis;	/* arguments, for the usage line */
	const char *help;	/* one line */
	const char *options;	/* the option lines for `dmabridge CMD --help` */
	int (*fn)(struct cli *cli, int argc, char **argv);
};

/* cmd_*.c */
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_check(struct cli *cli, int argc, char **argv);
int cmd_bind(struct cli *cli, int argc, char **argv);
int cmd_unbind(struct cli *cli, int argc, char **argv);
int cmd_cp(struct cli *cli, int argc, char **argv);
int cmd_bench(struct cli *cli, int argc, char **argv);

const struct cli_cmd *cli_commands(unsigned int *count);
const struct cli_cmd *cli_find(const char *name);

/* "dmabridge CMD: message" and the command's usage line on stderr: 2 */
int cli_usage(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "dmabridge CMD: message" on stderr: 1 */
int cli_fail(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* `dmabridge CMD --help`: on stdout, 0 */
int cli_help(struct cli *cli);
/* Common option handling inside a command's getopt loop: -h and unknown
 * options. Returns -1 to go on, else the exit status. */
int cli_getopt_common(struct cli *cli, int c, int argc, char **argv);

/* args.c: argument parsers (0 or -EINVAL; unit-tested on the host) */
int parse_u64(const char *s, uint64_t *v);
int parse_size(const char *s, uint64_t *v);		/* 4096, 4K, 1M, 2G, 4k */
int parse_secs(const char *s, double *v);		/* 2, 2s, 500ms, 1.5 */
int parse_bdf(const char *s, char out[16]);		/* [DDDD:]BB:DD.F */
/* a comma-separated list: each item through fn, at most max items */
int parse_list_size(const char *s, uint64_t *v, unsigned int max, unsigned int *n);
int parse_list_u64(const char *s, uint64_t *v, unsigned int max, unsigned int *n);
/* a comma-separated list of names from names[] (NULL-terminated): bitmask */
int parse_list_names(const char *s, const char *const *names, uint32_t *mask);
int parse_name(const char *s, const char *const *names);	/* index or -EINVAL */
/* Moves --json (anywhere before "--") out of argv; returns the new argc. */
int args_take_json(int argc, char **argv, bool *json);

#endif
