// SPDX-License-Identifier: GPL-2.0
/*
 * ctl_access denied|granted: what a process gets from /dev/dmabridge and
 * from libdmabridge, run as a user outside (denied) or inside (granted)
 * the group udev/60-dmabridge-access.rules gives the node to
 * (tests/vm/cases/pkg-udev).
 *   denied:  open(2) fails with EACCES; a context with compat off fails
 *            with -EACCES; with compat auto it runs compat-only and says
 *            why (reason ctl-access, not no-module).
 *   granted: open(2) and DMABRIDGE_IOC_VERSION succeed (ABI 1); both
 *            contexts get the module (reason direct).
 * Exit 0 as expected, 1 otherwise, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <dmabridge/dmabridge.h>
#include <linux/dmabridge.h>

static int fail(const char *what, const char *got)
{
	printf("FAIL: %s: %s\n", what, got);
	return 1;
}

/* A context with compat @compat; its result and module reason. */
static int ctx_try(int compat, int *reason)
{
	struct dmab_ctx_opts o = {
		.size = sizeof(o),
		.set = DMAB_OPT_COMPAT | DMAB_OPT_NO_ENV,
		.compat = compat,
	};
	struct dmab_settings s;
	struct dmab_ctx *ctx;
	int ret;

	ret = dmab_ctx_new(&o, &ctx);
	if (ret)
		return ret;
	ret = dmab_ctx_settings(ctx, &s);
	*reason = ret ? -1 : (int)s.module_reason;
	dmab_ctx_free(ctx);
	return ret;
}

int main(int argc, char **argv)
{
	struct dmabridge_version v = { 0 };
	int granted, fd, ret, reason = -1;

	if (argc != 2 || (strcmp(argv[1], "denied") && strcmp(argv[1], "granted"))) {
		fprintf(stderr, "usage: ctl_access denied|granted\n");
		return 2;
	}
	granted = !strcmp(argv[1], "granted");
	printf("uid %u gid %u\n", (unsigned)getuid(), (unsigned)getgid());

	fd = open("/dev/" DMABRIDGE_CTL_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		printf("open /dev/%s: %s\n", DMABRIDGE_CTL_NAME, strerror(errno));
		if (granted || errno != EACCES)
			return fail("open", strerror(errno));
	} else {
		if (ioctl(fd, DMABRIDGE_IOC_VERSION, &v))
			return fail("DMABRIDGE_IOC_VERSION", strerror(errno));
		close(fd);
		printf("open /dev/%s: ok, ABI %u.%u\n", DMABRIDGE_CTL_NAME, v.major, v.minor);
		if (!granted)
			return fail("open", "succeeded outside the group");
		if (v.major != 1)
			return fail("ABI", "major is not 1");
	}

	ret = ctx_try(DMAB_COMPAT_OFF, &reason);
	printf("libdmabridge, compat off: %s\n", ret ? strerror(-ret) : "ok");
	if (granted ? ret != 0 : ret != -EACCES)
		return fail("dmab_ctx_new, compat off", ret ? strerror(-ret) : "ok");

	ret = ctx_try(DMAB_COMPAT_AUTO, &reason);
	if (ret)
		return fail("dmab_ctx_new, compat auto", strerror(-ret));
	printf("libdmabridge, compat auto: module %s: %s\n", dmab_reason_name(reason),
	       dmab_strerror(reason));
	if (reason != (granted ? DMAB_REASON_NONE : DMAB_REASON_CTL_ACCESS))
		return fail("module reason", dmab_reason_name(reason));
	printf("ok: %s\n", argv[1]);
	return 0;
}
