// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The library's counters: printed, and kept for `dmabridge stats`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "report.h"

void report_reasons(struct out *o, const char *key, uint32_t reasons)
{
	int r;

	out_list(o, key, OUT_RECORDS);
	for (r = 1; r < DMAB_REASON__COUNT && r < 32; r++)
		if (reasons & (1U << r))
			out_str(o, NULL, dmab_reason_name(r));
	out_end(o);
}

void report_lib_stats(struct out *o, const char *key, const struct dmab_stats *st)
{
	static const char *const dir[2] = { "read", "write" };
	static const char *const path[2] = { "direct", "compat" };
	char k[64];
	int p, d, r;

	out_obj(o, key);
	for (d = 0; d < 2; d++) {
		snprintf(k, sizeof(k), "%s_calls", dir[d]);
		out_u64(o, k, st->calls[d]);
	}
	for (p = 0; p < 2; p++)
		for (d = 0; d < 2; d++) {
			snprintf(k, sizeof(k), "%s_%s_bytes", path[p], dir[d]);
			out_u64(o, k, st->bytes[p][d]);
			snprintf(k, sizeof(k), "%s_%s_requests", path[p], dir[d]);
			out_u64(o, k, st->requests[p][d]);
		}
	out_list(o, "fallbacks", OUT_TABLE);
	for (r = 0; r < DMAB_STATS_REASONS && r < DMAB_REASON__COUNT; r++) {
		if (!st->fallbacks[r])
			continue;
		out_obj(o, NULL);
		out_str(o, "reason", dmab_reason_name(r));
		out_u64(o, "pieces", st->fallbacks[r]);
		out_u64(o, "bytes", st->fallback_bytes[r]);
		out_end(o);
	}
	out_end(o);
	out_list(o, "errors", OUT_TABLE);
	for (r = 0; r < DMAB_STATS_ERRNOS; r++) {
		if (!st->errors[r])
			continue;
		out_obj(o, NULL);
		out_u64(o, "errno", (uint64_t)r);
		out_str(o, "name", r < DMAB_STATS_ERRNOS - 1 ? strerror(r) : "larger");
		out_u64(o, "calls", st->errors[r]);
		out_end(o);
	}
	out_end(o);
	out_end(o);
}

void libstats_path(char *buf, size_t len)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");

	if (rt && *rt == '/')
		snprintf(buf, len, "%s/dmabridge-last-run", rt);
	else
		snprintf(buf, len, "/tmp/dmabridge-last-run-%u", (unsigned int)getuid());
}

void libstats_save(const char *command, const struct dmab_stats *st)
{
	char path[512], tmp[600];
	struct timeval tv;
	FILE *f;
	int p, d, i;

	libstats_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "wex");
	if (!f)
		return;
	gettimeofday(&tv, NULL);
	fprintf(f, "command %s\ntime %.3f\n", command,
		tv.tv_sec + tv.tv_usec / 1e6);
	for (d = 0; d < 2; d++)
		fprintf(f, "calls %d %llu\n", d, (unsigned long long)st->calls[d]);
	for (p = 0; p < 2; p++)
		for (d = 0; d < 2; d++)
			fprintf(f, "bytes %d %d %llu\nrequests %d %d %llu\n", p, d,
				(unsigned long long)st->bytes[p][d], p, d,
				(unsigned long long)st->requests[p][d]);
	for (i = 0; i < DMAB_STATS_REASONS; i++)
		if (st->fallbacks[i])
			fprintf(f, "fallback %d %llu %llu\n", i,
				(unsigned long long)st->fallbacks[i],
				(unsigned long long)st->fallback_bytes[i]);
	for (i = 0; i < DMAB_STATS_ERRNOS; i++)
		if (st->errors[i])
			fprintf(f, "error %d %llu\n", i, (unsigned long long)st->errors[i]);
	if (fclose(f) || rename(tmp, path))
		unlink(tmp);
}

int libstats_load(char *command, size_t len, double *when, struct dmab_stats *st)
{
	char path[512], line[256], word[32];
	unsigned long long a, b;
	int i, j;
	FILE *f;

	libstats_path(path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	command[0] = 0;
	*when = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "command %31s", word) == 1)
			snprintf(command, len, "%s", word);
		else if (sscanf(line, "time %lf", when) == 1)
			;
		else if (sscanf(line, "calls %d %llu", &i, &a) == 2 && i >= 0 && i < 2)
			st->calls[i] = a;
		else if (sscanf(line, "bytes %d %d %llu", &i, &j, &a) == 3 &&
			 i >= 0 && i < 2 && j >= 0 && j < 2)
			st->bytes[i][j] = a;
		else if (sscanf(line, "requests %d %d %llu", &i, &j, &a) == 3 &&
			 i >= 0 && i < 2 && j >= 0 && j < 2)
			st->requests[i][j] = a;
		else if (sscanf(line, "fallback %d %llu %llu", &i, &a, &b) == 3 &&
			 i >= 0 && i < DMAB_STATS_REASONS) {
			st->fallbacks[i] = a;
			st->fallback_bytes[i] = b;
		} else if (sscanf(line, "error %d %llu", &i, &a) == 2 &&
			   i >= 0 && i < DMAB_STATS_ERRNOS)
			st->errors[i] = a;
	}
	fclose(f);
	return command[0] ? 0 : -ENOENT;
}
