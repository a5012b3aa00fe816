// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * dmabridge bind BDF / unbind BDF: give an NVMe controller to dmabridge
 * and back, the way docs/driver.md does it by hand (driver_override, the
 * old driver's unbind, dmabridge's bind), refusing a controller with users
 * (mounts, swap, LVM/MD holders, exclusive opens; for unbind also live
 * tokens) unless --force.
 *
 * --persist writes a udev rule, $ROOT/etc/udev/rules.d/70-dmabridge.rules,
 * one line per controller: when the device appears (boot, rescan) the
 * rule sets its driver_override to dmabridge, so that a stock driver
 * loaded after it passes it by, and runs `dmabridge bind BDF` (this
 * executable, by its path) to load the module and take the controller,
 * also from a stock driver that bound it first (nvme in an initramfs),
 * still refusing one with users. No modprobe.d entry is written: the
 * module has no ID table for an "options" or "alias" line to name the
 * device by, and a softdep on nvme would make every boot's nvme depend
 * on dmabridge loading. A module reload keeps the binding by itself:
 * driver_override stays set while the device exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "sys.h"

#define RULES "/etc/udev/rules.d/70-dmabridge.rules"

struct bind_opts {
	bool force, persist;
	const char *root;
	char bdf[16];
};

static int parse(struct cli *cli, int argc, char **argv, struct bind_opts *b)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "persist", no_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch, ret;

	memset(b, 0, sizeof(*b));
	b->root = "";
	while ((ch = getopt_long(argc, argv, ":fph", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': b->force = true; break;
		case 'p': b->persist = true; break;
		case 'R':
			if (optarg[0] != '/')
				return cli_usage(cli, "--root takes an absolute directory, not '%s'",
						 optarg);
			b->root = optarg;
			break;
		default:
			if ((ret = cli_getopt_common(cli, ch, argc, argv)) >= 0)
				return ret;
		}
	}
	if (optind >= argc)
		return cli_usage(cli, "which controller? (a PCI address: dmabridge list)");
	if (parse_bdf(argv[optind], b->bdf))
		return cli_usage(cli, "'%s' is not a PCI address ([DDDD:]BB:DD.F)", argv[optind]);
	if (optind + 1 < argc)
		return cli_usage(cli, "one controller at a time ('%s' is one too many)",
				 argv[optind + 1]);
	return -1;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int run(const char *prog, const char *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		/* udev runs programs without a PATH that has sbin */
		if (!strchr(prog, '/')) {
			char p[64];

			snprintf(p, sizeof(p), "/usr/sbin/%s", prog);
			execl(p, prog, arg, (char *)NULL);
			snprintf(p, sizeof(p), "/sbin/%s", prog);
			execl(p, prog, arg, (char *)NULL);
		}
		execlp(prog, prog, arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void users_text(const struct sys_ctrl *c, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < c->nusers && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s %s (%s)",
					 i ? ", " : "", c->users[i].kind,
					 c->users[i].what, c->users[i].dev);
}

static int wait_driver(const char *bdf, const char *want, struct sys_ctrl *c,
		       unsigned int ms)
{
	unsigned int t;

	for (t = 0; t <= ms; t += 50) {
		if (!sys_controller(bdf, c) && !strcmp(c->driver, want) &&
		    (strcmp(want, "dmabridge") || (c->name[0] && c->ndisks)))
			return 0;
		msleep(50);
	}
	return -ETIMEDOUT;
}

/* ---- the persistent configuration ------------------------------------------ */

static int rules_path(const struct bind_opts *b, char *path, size_t len)
{
	return snprintf(path, len, "%s%s", b->root, RULES) >= (int)len ? -ENAMETOOLONG : 0;
}

static int mkdirs(const char *path)
{
	char p[PATH_MAX], *s;

	snprintf(p, sizeof(p), "%s", path);
	for (s = p + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

/* rewrite the rules file without bdf's line, and with it when add */
static int rules_update(const struct bind_opts *b, bool add, char *path, size_t len,
			bool *changed)
{
	char tmp[PATH_MAX + 8], line[1024], key[64], self[PATH_MAX];
	FILE *in, *out;
	bool had = false, any = false;
	ssize_t n;
	int ret;

	*changed = false;
	ret = rules_path(b, path, len);
	if (ret)
		return ret;
	snprintf(key, sizeof(key), "KERNEL==\"%s\"", b->bdf);
	in = fopen(path, "re");
	if (!in && !add)
		return 0;
	if (add && (ret = mkdirs(path))) {
		if (in)
			fclose(in);
		return ret;
	}
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	out = fopen(tmp, "we");
	if (!out) {
		ret = -errno;
		if (in)
			fclose(in);
		return ret;
	}
	fprintf(out, "# Written by `dmabridge bind --persist`; `dmabridge unbind --persist BDF`\n"
		     "# removes a line. Each line gives one NVMe controller to dmabridge when\n"
		     "# it appears: driver_override first (a stock driver loaded later passes\n"
		     "# it by), then `dmabridge bind`, which loads the module and takes it,\n"
		     "# also from a driver that bound it first, refusing one with users.\n");
	while (in && fgets(line, sizeof(line), in)) {
		if (line[0] == '#')
			continue;
		if (strstr(line, key)) {
			had = true;
			continue;
		}
		fputs(line, out);
		any = true;
	}
	if (in)
		fclose(in);
	if (add) {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			snprintf(self, sizeof(self), "/usr/bin/dmabridge");
		else
			self[n] = 0;
		fprintf(out, "ACTION==\"add\", SUBSYSTEM==\"pci\", %s, "
			     "ATTR{driver_override}=\"dmabridge\", RUN+=\"%s bind %s\"\n",
			key, self, b->bdf);
		any = true;
	}
	if (fclose(out)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	if (!any) {
		unlink(tmp);
		if (unlink(path) && errno != ENOENT)
			return -errno;
	} else if (rename(tmp, path)) {
		ret = -errno;
		unlink(tmp);
		return ret;
	}
	*changed = add || had;
	return 0;
}

static bool rules_has(const struct bind_opts *b)
{
	char path[PATH_MAX], line[1024], key[64];
	bool found = false;
	FILE *f;

	if (rules_path(b, path, sizeof(path)))
		return false;
	snprintf(key, sizeof(key), "KERNEL==\"%s\"", b->bdf);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = line[0] != '#' && strstr(line, key);
	fclose(f);
	return found;
}

static void report(struct cli *cli, const struct sys_ctrl *c, const char *action,
		   const char *previous, const char *persisted, bool persisted_now)
{
	struct out *o = cli->out;
	unsigned int i;

	out_obj(o, NULL);
	out_str(o, "pci_address", c->bdf);
	out_str(o, "action", action);
	out_str(o, "driver", c->driver[0] ? c->driver : NULL);
	out_str(o, "previous_driver", previous[0] ? previous : NULL);
	out_str(o, "name", c->name[0] ? c->name : NULL);
	out_list(o, "disks", OUT_RECORDS);
	for (i = 0; i < c->ndisks; i++)
		if (!c->disks[i].partition)
			out_str(o, NULL, c->disks[i].name);
	out_end(o);
	if (persisted)
		out_str(o, "udev_rule", persisted);
	else
		out_null(o, "udev_rule");
	out_bool(o, "persist_changed", persisted_now);
	out_end(o);
}

/* ---- bind ------------------------------------------------------------------ */

int cmd_bind(struct cli *cli, int argc, char **argv)
{
	struct bind_opts b;
	struct sys_ctrl *c = calloc(1, sizeof(*c));
	char users[1024], prev[32] = "", path[PATH_MAX], p[128];
	bool changed = false;
	int ret;

	if (!c)
		return cli_fail(cli, "out of memory");
	if ((ret = parse(cli, argc, argv, &b)) >= 0)
		goto out;
	ret = sys_controller(b.bdf, c);
	if (ret == -ENODEV) {
		ret = cli_fail(cli, "no PCI device %s (dmabridge list)", b.bdf);
		goto out;
	}
	if (ret == -ENOTTY) {
		ret = cli_fail(cli, "%s is not an NVMe controller (PCI class 010802)", b.bdf);
		goto out;
	}
	snprintf(prev, sizeof(prev), "%s", c->driver);
	if (strcmp(c->driver, "dmabridge")) {
		if (c->nusers && !b.force) {
			users_text(c, users, sizeof(users));
			ret = cli_fail(cli, "refusing to bind %s: in use: %s. Stop its users "
				       "first, or --force (the stock driver's disks go away at once)",
				       b.bdf, users);
			goto out;
		}
		/* the request first: loading the module binds it by itself */
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", b.bdf);
		ret = sys_write(p, "dmabridge");
		if (ret) {
			ret = cli_fail(cli, "cannot write %s: %s (root needed)", p, strerror(-ret));
			goto out;
		}
		if (c->driver[0]) {
			snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver/unbind", b.bdf);
			ret = sys_write(p, b.bdf);
			if (ret) {
				ret = cli_fail(cli, "cannot unbind %s from %s: %s", b.bdf,
					       c->driver, strerror(-ret));
				goto restore;
			}
		}
		if (access("/sys/bus/pci/drivers/dmabridge", F_OK) && run("modprobe", "dmabridge")) {
			ret = cli_fail(cli, "the dmabridge module is not loaded and `modprobe "
				       "dmabridge` failed: install it (dkms) or insmod it, then bind again");
			goto restore;
		}
		ret = sys_write("/sys/bus/pci/drivers/dmabridge/bind", b.bdf);
		/* -EBUSY/-ENODEV: the module's load bound it already */
		if (wait_driver(b.bdf, "dmabridge", c, 10000)) {
			ret = cli_fail(cli, "dmabridge did not take %s (%s): `dmesg | grep dmabridge` says why",
				       b.bdf, ret ? strerror(-ret) : "no disk appeared");
			goto restore;
		}
	}
	if (b.persist) {
		ret = rules_update(&b, true, path, sizeof(path), &changed);
		if (ret) {
			ret = cli_fail(cli, "bound, but cannot write %s: %s", path, strerror(-ret));
			goto out;
		}
	} else {
		path[0] = 0;
	}
	report(cli, c, strcmp(prev, "dmabridge") ? "bound" : "already bound", prev,
	       b.persist ? path : (rules_has(&b) ? (rules_path(&b, path, sizeof(path)), path) : NULL),
	       changed);
	ret = 0;
	goto out;
restore:
	/* give it back to whichever driver wants it */
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", b.bdf);
	sys_write(p, "\n");
	sys_write("/sys/bus/pci/drivers_probe", b.bdf);
out:
	free(c);
	return ret;
}

/* ---- unbind ---------------------------------------------------------------- */

int cmd_unbind(struct cli *cli, int argc, char **argv)
{
	struct bind_opts b;
	struct sys_ctrl *c = calloc(1, sizeof(*c));
	char users[1024], path[PATH_MAX], p[160];
	uint64_t tokens = 0;
	bool changed = false;
	int ret;

	if (!c)
		return cli_fail(cli, "out of memory");
	if ((ret = parse(cli, argc, argv, &b)) >= 0)
		goto out;
	ret = sys_controller(b.bdf, c);
	if (ret) {
		ret = cli_fail(cli, ret == -ENODEV ? "no PCI device %s (dmabridge list)" :
			       "%s is not an NVMe controller", b.bdf);
		goto out;
	}
	if (strcmp(c->driver, "dmabridge")) {
		if (!b.persist) {
			ret = cli_fail(cli, "%s is not bound to dmabridge (driver: %s)", b.bdf,
				       c->driver[0] ? c->driver : "none");
			goto out;
		}
	} else {
		snprintf(p, sizeof(p), "/sys/class/dmabridge/%s/token_stats/tokens", c->name);
		sys_read_u64(p, &tokens);
		if ((c->nusers || tokens) && !b.force) {
			users_text(c, users, sizeof(users));
			ret = cli_fail(cli, "refusing to unbind %s: in use: %s%s%llu mapped buffer(s). "
				       "Stop its users first, or --force (I/O on its disks fails at once)",
				       b.bdf, users, users[0] ? "; " : "",
				       (unsigned long long)tokens);
			goto out;
		}
		ret = sys_write("/sys/bus/pci/drivers/dmabridge/unbind", b.bdf);
		if (ret) {
			ret = cli_fail(cli, "cannot unbind %s: %s", b.bdf, strerror(-ret));
			goto out;
		}
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/driver_override", b.bdf);
		sys_write(p, "\n");
		if (access("/sys/bus/pci/drivers/nvme", F_OK))
			run("modprobe", "nvme");
		sys_write("/sys/bus/pci/drivers_probe", b.bdf);
		wait_driver(b.bdf, "nvme", c, 5000);
		sys_controller(b.bdf, c);
	}
	if (b.persist) {
		ret = rules_update(&b, false, path, sizeof(path), &changed);
		if (ret) {
			ret = cli_fail(cli, "cannot update %s: %s", path, strerror(-ret));
			goto out;
		}
	}
	if (!b.persist && rules_has(&b)) {
		rules_path(&b, path, sizeof(path));
		fprintf(stderr, "dmabridge unbind: %s still names %s: it is bound again at boot "
			"(dmabridge unbind --persist %s removes it)\n", path, b.bdf, b.bdf);
	}
	report(cli, c, strcmp(c->driver, "dmabridge") ? "unbound" : "bound", "dmabridge",
	       rules_has(&b) ? path : NULL, changed);
	ret = 0;
out:
	free(c);
	return ret;
}
