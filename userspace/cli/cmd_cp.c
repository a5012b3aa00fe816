// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmabridge cp FILE --to udmabuf|vgem|vulkan [--verify]: read a whole file
 * into a fresh dma-buf through libdmabridge, as an application would, and
 * say which path the bytes took and why (the file's decision and each
 * call's reasons), how fast, and, with --verify, whether the buffer holds
 * exactly what an ordinary read of the file returns. A progress bar goes
 * to stderr when it is a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>

#include "cli.h"
#include "dbuf.h"
#include "report.h"
#include "vk.h"

static const char *const compat_names[] = { "auto", "on", "off", NULL };

static void progress(uint64_t done, uint64_t total, double secs, bool end)
{
	char rate[32];
	int width = 30, fill = total ? (int)(done * width / total) : width;
	double r = secs > 0 ? done / secs : 0;

	if (r >= 1048576)
		snprintf(rate, sizeof(rate), "%.1f MiB/s", r / 1048576);
	else
		snprintf(rate, sizeof(rate), "%.1f KiB/s", r / 1024);
	fprintf(stderr, "\r[%.*s%*s] %3d%% %s ", fill, "##############################",
		width - fill, "", total ? (int)(done * 100 / total) : 100, rate);
	if (end)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Compare the buffer with an ordinary read of the file: 0 equal, 1 not
 * (*bad the first differing offset), -errno when it cannot compare. */
static int verify(struct dbuf *d, const char *path, uint64_t size, uint64_t *bad,
		  const char **how)
{
	const size_t step = 1 << 20;
	uint8_t *cpu, *tmp = malloc(step);
	uint64_t off = 0;
	ssize_t n;
	int fd, ret = 0;
	bool synced = false;

	if (!tmp)
		return -ENOMEM;
	if (!dbuf_map(d)) {
		cpu = d->map;
		synced = !dbuf_sync(d, true, true, false);
		*how = "the dma-buf's CPU mapping";
	} else if ((cpu = vk_mem_map(d->vk))) {
		*how = "vkMapMemory";
	} else {
		free(tmp);
		return -EOPNOTSUPP;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	while (off < size) {
		size_t want = size - off < step ? (size_t)(size - off) : step;

		n = pread(fd, tmp, want, (off_t)off);
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		if (memcmp(tmp, cpu + off, (size_t)n)) {
			size_t i;

			for (i = 0; i < (size_t)n && tmp[i] == cpu[off + i]; i++)
				;
			*bad = off + i;
			ret = 1;
			break;
		}
		off += (uint64_t)n;
	}
	close(fd);
out:
	if (synced)
		dbuf_sync(d, false, true, false);
	free(tmp);
	return ret;
}

int cmd_cp(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "verify", no_argument, NULL, 'V' },
		{ "compat", required_argument, NULL, 'c' },
		{ "chunk", required_argument, NULL, 'C' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct dmab_ctx_opts co = { .size = sizeof(co) };
	struct dmab_ctx *ctx = NULL;
	struct dmab_buf *buf = NULL;
	struct dmab_file *f = NULL;
	struct dmab_file_info fi;
	struct dmab_result r;
	struct dmab_stats st;
	struct dbuf d = { .fd = -1, .aux = -1 };
	struct out *o = cli->out;
	const char *path, *how = "";
	char err[256];
	int kind = -1, compat = -1, ch, ret, bar = -1, vret = 0;
	bool do_verify = false;
	uint64_t chunk = 8 << 20, size, off = 0, bytes = 0, dbytes = 0, cbytes = 0, bad = 0;
	uint32_t reasons = 0, dreq = 0, creq = 0, first = 0;
	double t0, t1, c0, c1, last = 0;
	struct stat sb;

	while ((ch = getopt_long(argc, argv, ":t:Vc:h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			kind = parse_name(optarg, dbuf_names);
			if (kind < 0 || kind == DBUF_BAR)
				return cli_usage(cli, "--to: udmabuf, vgem or vulkan, not '%s'", optarg);
			break;
		case 'V': do_verify = true; break;
		case 'c':
			compat = parse_name(optarg, compat_names);
			if (compat < 0)
				return cli_usage(cli, "--compat: auto, on or off, not '%s'", optarg);
			break;
		case 'C':
			if (parse_size(optarg, &chunk) || chunk < 4096 || chunk % 4096 ||
			    chunk > (1ULL << 30))
				return cli_usage(cli, "--chunk: a multiple of 4 KiB up to 1 GiB, not '%s'",
						 optarg);
			break;
		case 'P': bar = 1; break;
		case 'Q': bar = 0; break;
		default:
			if ((ret = cli_getopt_common(cli, ch, argc, argv)) >= 0)
				return ret;
		}
	}
	if (optind >= argc)
		return cli_usage(cli, "which file?");
	if (optind + 1 < argc)
		return cli_usage(cli, "one file at a time ('%s' is one too many)", argv[optind + 1]);
	if (kind < 0)
		return cli_usage(cli, "--to: which exporter makes the dma-buf? (udmabuf, vgem, vulkan)");
	path = argv[optind];
	if (bar < 0)
		bar = isatty(STDERR_FILENO);

	if (stat(path, &sb))
		return cli_fail(cli, "%s: %s", path, strerror(errno));
	if (S_ISBLK(sb.st_mode)) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size)) {
			if (fd >= 0)
				close(fd);
			return cli_fail(cli, "%s: %s", path, strerror(errno));
		}
		close(fd);
	} else if (S_ISREG(sb.st_mode)) {
		size = (uint64_t)sb.st_size;
	} else {
		return cli_fail(cli, "%s: not a regular file or a block device", path);
	}
	if (compat >= 0) {
		co.set |= DMAB_OPT_COMPAT;
		co.compat = (uint32_t)compat;
	}
	ret = dmab_ctx_new(&co, &ctx);
	if (ret)
		return cli_fail(cli, "libdmabridge: %s%s", strerror(-ret),
				ret == -ENODEV ? " (--compat off needs the module: dmabridge check)" : "");
	ret = dbuf_new(kind, size, 0, &d, err, sizeof(err));
	if (ret) {
		ret = cli_fail(cli, "cannot make a %s dma-buf of %llu bytes: %s", dbuf_names[kind],
			       (unsigned long long)size, err);
		goto out;
	}
	ret = dmab_buf_register(ctx, d.fd, 0, 0, DMAB_BUF_READ, &buf);
	if (ret) {
		ret = cli_fail(cli, "dmab_buf_register: %s", strerror(-ret));
		goto out;
	}
	ret = dmab_file_open(ctx, path, O_RDONLY, 0, &f);
	if (ret) {
		ret = cli_fail(cli, "%s: %s", path, strerror(-ret));
		goto out;
	}
	dmab_file_info(f, &fi);

	t0 = sys_now();
	c0 = sys_cpu_now();
	while (off < size) {
		uint64_t len = size - off < chunk ? size - off : chunk;

		ret = dmab_read(f, buf, off, off, len, &r);
		bytes += r.bytes;
		dbytes += r.direct_bytes;
		cbytes += r.compat_bytes;
		dreq += r.direct_requests;
		creq += r.compat_requests;
		reasons |= r.reasons;
		if (!first && r.reason)
			first = r.reason;
		if (ret) {
			if (bar)
				fputc('\n', stderr);
			/* the failed call is in the counters (errors by errno) */
			if (!dmab_ctx_stats(ctx, &st, sizeof(st)))
				libstats_save("cp", &st);
			ret = cli_fail(cli, "reading %s at %llu: %s%s%s", path,
				       (unsigned long long)r.error_offset, strerror(-ret),
				       r.reason ? ": " : "", r.reason ? dmab_strerror((int)r.reason) : "");
			goto out;
		}
		if (!r.bytes)
			break;		/* the file shrank */
		off += r.bytes;
		if (bar && (sys_now() - last > 0.1 || off >= size)) {
			last = sys_now();
			progress(off, size, last - t0, false);
		}
	}
	t1 = sys_now();
	c1 = sys_cpu_now();
	if (bar)
		progress(off, size, t1 - t0, true);
	if (do_verify)
		vret = verify(&d, path, bytes, &bad, &how);

	out_obj(o, NULL);
	out_str(o, "file", path);
	out_bytes(o, "size", size);
	out_str(o, "exporter", dbuf_names[kind]);
	out_str(o, "buffer", d.desc);
	out_bytes(o, "bytes", bytes);
	out_str(o, "path", !cbytes ? "direct" : !dbytes ? "compat" : "mixed");
	out_str(o, "file_decision", fi.read_reason ? dmab_reason_name((int)fi.read_reason) : "direct");
	out_str(o, "file_decision_why", fi.read_reason ? dmab_strerror((int)fi.read_reason) :
		"the direct path serves this file");
	out_str(o, "device", fi.dev_name[0] ? fi.dev_name : NULL);
	out_bytes(o, "direct_bytes", dbytes);
	out_bytes(o, "compat_bytes", cbytes);
	out_u64(o, "direct_requests", dreq);
	out_u64(o, "compat_requests", creq);
	out_list(o, "compat_reasons", OUT_TABLE);
	for (int i = 1; i < DMAB_REASON__COUNT; i++)
		if (reasons & (1U << i)) {
			out_obj(o, NULL);
			out_str(o, "reason", dmab_reason_name(i));
			out_str(o, "why", dmab_strerror(i));
			out_end(o);
		}
	out_end(o);
	out_secs(o, "seconds", t1 - t0);
	out_rate(o, "throughput", t1 > t0 ? bytes / (t1 - t0) : 0);
	out_secs(o, "cpu_seconds", c1 - c0);
	if (do_verify) {
		out_obj(o, "verify");
		out_bool(o, "ok", vret == 0);
		out_str(o, "against", "an ordinary read of the file");
		out_str(o, "through", vret == -EOPNOTSUPP ? NULL : how);
		out_bytes(o, "compared", vret == 0 ? bytes : bad);
		if (vret == 1)
			out_u64(o, "first_difference", bad);
		else if (vret < 0)
			out_str(o, "error", strerror(-vret));
		out_end(o);
	}
	dmab_ctx_stats(ctx, &st, sizeof(st));
	report_lib_stats(o, "library", &st);
	out_end(o);
	libstats_save("cp", &st);
	ret = 0;
	if (vret) {
		ret = vret == 1 ?
			cli_fail(cli, "verify: the buffer differs from the file at byte %llu",
				 (unsigned long long)bad) :
			cli_fail(cli, "verify: cannot compare: %s", strerror(-vret));
	}
out:
	if (f)
		dmab_file_close(f);
	if (buf)
		dmab_buf_unregister(buf);
	dbuf_free(&d);
	if (ctx)
		dmab_ctx_free(ctx);
	return ret;
}
