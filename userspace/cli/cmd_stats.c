// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmabridge stats [--watch]: every counter of each bound controller's
 * token_stats/ directory (kmod/dbr_stats.c names them), its state, and
 * the library's counters of this command's last cp or bench run.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "sys.h"

#define MAX_CTRL	16
#define MAX_STAT	64

struct ctrl_sample {
	char name[32], bdf[16], state[16];
	unsigned int n;
	char key[MAX_STAT][32];
	uint64_t v[MAX_STAT];
};

struct sample {
	unsigned int nctrl;
	struct ctrl_sample c[MAX_CTRL];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int take(struct sample *s, const char *only)
{
	struct dirent *de;
	char p[512], *names[MAX_CTRL];
	unsigned int n = 0, i;
	DIR *d = opendir("/sys/class/dmabridge");

	memset(s, 0, sizeof(*s));
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_CTRL)
		if (!strncmp(de->d_name, "dmabridge", 9))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_name);
	for (i = 0; i < n; i++) {
		struct ctrl_sample *c = &s->c[s->nctrl];
		char *keys[MAX_STAT];
		unsigned int k = 0, j;
		DIR *sd;

		if (!names[i])
			continue;
		snprintf(c->name, sizeof(c->name), "%s", names[i]);
		sys_readf(c->bdf, sizeof(c->bdf), "/sys/class/dmabridge/%s/pci_address",
			  names[i]);
		sys_readf(c->state, sizeof(c->state), "/sys/class/dmabridge/%s/state",
			  names[i]);
		free(names[i]);
		if (only && strcmp(only, c->name) && strcmp(only, c->bdf))
			continue;
		snprintf(p, sizeof(p), "/sys/class/dmabridge/%s/token_stats", c->name);
		sd = opendir(p);
		if (sd) {
			while ((de = readdir(sd)) && k < MAX_STAT)
				if (de->d_name[0] != '.')
					keys[k++] = strdup(de->d_name);
			closedir(sd);
		}
		/* the module's own order is not visible; names sorted */
		qsort(keys, k, sizeof(keys[0]), cmp_name);
		for (j = 0; j < k; j++) {
			if (!keys[j])
				continue;
			snprintf(c->key[c->n], sizeof(c->key[0]), "%s", keys[j]);
			snprintf(p, sizeof(p), "/sys/class/dmabridge/%s/token_stats/%s",
				 c->name, keys[j]);
			if (!sys_read_u64(p, &c->v[c->n]))
				c->n++;
			free(keys[j]);
		}
		s->nctrl++;
	}
	return (int)s->nctrl;
}

static void print(struct cli *cli, const struct sample *s, const struct sample *prev,
		  double interval, bool watch, bool lib)
{
	struct out *o = cli->out;
	struct dmab_stats st;
	char command[32], lab[48];
	double when;
	unsigned int i, j;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	out_obj(o, NULL);
	if (watch)
		out_f64(o, "time", ts.tv_sec + ts.tv_nsec / 1e9, 3);
	out_list(o, "controllers", OUT_RECORDS);
	for (i = 0; i < s->nctrl; i++) {
		out_obj(o, NULL);
		out_str(o, "name", s->c[i].name);
		out_str(o, "pci_address", s->c[i].bdf);
		out_str(o, "state", s->c[i].state);
		out_obj(o, "token_stats");
		for (j = 0; j < s->c[i].n; j++)
			out_u64(o, s->c[i].key[j], s->c[i].v[j]);
		out_end(o);
		if (prev && interval > 0) {
			/* the counters that grew since the last sample, per second */
			out_obj(o, "per_second");
			for (j = 0; j < s->c[i].n; j++) {
				unsigned int k;

				for (k = 0; k < prev->c[i].n; k++)
					if (!strcmp(prev->c[i].key[k], s->c[i].key[j]))
						break;
				if (k == prev->c[i].n || prev->c[i].v[k] > s->c[i].v[j])
					continue;
				if (strstr(s->c[i].key[j], "bytes")) {
					snprintf(lab, sizeof(lab), "%s", s->c[i].key[j]);
					out_rate(o, lab, (s->c[i].v[j] - prev->c[i].v[k]) / interval);
				} else {
					out_f64(o, s->c[i].key[j],
						(s->c[i].v[j] - prev->c[i].v[k]) / interval, 1);
				}
			}
			out_end(o);
		}
		out_end(o);
	}
	out_end(o);
	if (lib) {
		if (!libstats_load(command, sizeof(command), &when, &st)) {
			out_obj(o, "library");
			out_str(o, "last_command", command);
			out_f64(o, "last_run_time", when, 0);
			report_lib_stats(o, "counters", &st);
			out_end(o);
		} else {
			out_null(o, "library");
		}
	}
	out_end(o);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sample *cur, *prev;
	bool watch = false;
	double interval = 1;
	uint64_t count = 0, k;
	const char *only = NULL;
	struct timespec ts;
	int ch, ret;

	while ((ch = getopt_long(argc, argv, ":wi:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'w': watch = true; break;
		case 'i':
			if (parse_secs(optarg, &interval) || interval < 0.01 || interval > 86400)
				return cli_usage(cli, "--interval: seconds, 0.01 to 86400, not '%s'",
						 optarg);
			break;
		case 'n':
			if (parse_u64(optarg, &count) || !count)
				return cli_usage(cli, "--count: a positive number, not '%s'", optarg);
			break;
		default:
			if ((ret = cli_getopt_common(cli, ch, argc, argv)) >= 0)
				return ret;
		}
	}
	if (optind < argc)
		only = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (count && !watch)
		watch = true;
	if (access("/sys/module/dmabridge", F_OK))
		return cli_fail(cli, "the dmabridge module is not loaded (dmabridge check)");
	cur = calloc(1, sizeof(*cur));
	prev = calloc(1, sizeof(*prev));
	if (!cur || !prev)
		return cli_fail(cli, "out of memory");
	if (take(cur, only) == 0 && only) {
		free(cur);
		free(prev);
		return cli_fail(cli, "no bound controller '%s' (dmabridge list)", only);
	}
	print(cli, cur, NULL, 0, watch, true);
	if (watch) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		for (k = 1; !stop && (!count || k < count); k++) {
			ts.tv_sec = (time_t)interval;
			ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
			while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
				;
			if (stop)
				break;
			memcpy(prev, cur, sizeof(*cur));
			take(cur, only);
			print(cli, cur, prev, interval, true, false);
		}
	}
	free(cur);
	free(prev);
	return 0;
}
