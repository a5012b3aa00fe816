// SPDX-License-Identifier: GPL-2.0
/*
 * Reasons: every reason has a unique short name and a one-line text; the
 * file decision (userspace/lib/file.c) follows its documented rule; the
 * dmabridge device names are recognised and nothing else is.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#include "check.h"

int main(void)
{
	struct __dmab_probe p;

	CHECK(DMAB_REASON__COUNT <= DMAB_STATS_REASONS, "stats too small");
	/* the module's errnos the compat path serves, each with its reason */
	{
		static const struct { int err; uint32_t reason; } fb[] = {
			{ -EXDEV, DMAB_REASON_MODULE_REFUSED },
			{ -EINVAL, DMAB_REASON_MODULE_REFUSED },
			{ -ENODATA, DMAB_REASON_CPU_FILLED },
			{ -EOPNOTSUPP, DMAB_REASON_EXPORTER },
			{ -ENOBUFS, DMAB_REASON_BOUNCE_SHARE },
		};
		uint32_t reason;

		for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++) {
			reason = DMAB_REASON__COUNT;
			CHECK(__dmab_direct_fallback(fb[i].err, &reason) &&
			      reason == fb[i].reason, "fallback on errno %d", -fb[i].err);
		}
		CHECK(!__dmab_direct_fallback(-EIO, &reason), "EIO is no fallback");
		CHECK(!__dmab_direct_fallback(-ENOENT, &reason), "ENOENT is no fallback");
	}
	CHECK(DMAB_REASON__COUNT <= 32, "result.reasons is a 32-bit mask");
	for (int r = 0; r < DMAB_REASON__COUNT; r++) {
		const char *t = dmab_strerror(r), *n = dmab_reason_name(r);

		CHECK(t && *t && !strchr(t, '\n') && strlen(t) < 120, "text of %d", r);
		CHECK(n && *n && !strchr(n, ' ') && strcmp(n, "unknown"), "name of %d", r);
		for (int q = 0; q < r; q++) {
			CHECK(strcmp(n, dmab_reason_name(q)), "%d and %d share %s", r, q, n);
			CHECK(strcmp(t, dmab_strerror(q)), "%d and %d share text", r, q);
		}
		if (r)
			CHECK(__dmab_reason_errno((uint32_t)r) < 0, "errno of %d", r);
	}
	CHECK(!strcmp(dmab_strerror(DMAB_REASON_NOT_DMABRIDGE_DEV),
		      "not on a dmabridge device"), "the tmpfs reason's words");
	CHECK(!strcmp(dmab_strerror(-1), "unknown dmabridge reason") &&
	      !strcmp(dmab_strerror(DMAB_REASON__COUNT), "unknown dmabridge reason") &&
	      !strcmp(dmab_reason_name(1000), "unknown"), "out of range");
	CHECK(__dmab_reason_errno(DMAB_REASON_NOT_DMABRIDGE_DEV) == -EXDEV &&
	      __dmab_reason_errno(DMAB_REASON_UNALIGNED) == -EINVAL &&
	      __dmab_reason_errno(DMAB_REASON_NO_MODULE) == -ENODEV &&
	      __dmab_reason_errno(DMAB_REASON_CPU_FILLED) == -ENODATA, "errnos");
	CHECK(!strcmp(dmab_source_name(DMAB_SRC_ENV), "environment") &&
	      !strcmp(dmab_compat_name(DMAB_COMPAT_OFF), "off") &&
	      !strcmp(dmab_compat_name(9), "unknown"), "names");

	/* device names */
	static const struct { const char *n; bool ok; } names[] = {
		{ "dmabridge0n1", true }, { "dmabridge12n3p4", true },
		{ "dmabridge0n1p", false }, { "dmabridge0", false },
		{ "dmabridge", false }, { "dmabridgen1", false },
		{ "nvme0n1", false }, { "dmabridge0n1x", false }, { "", false },
		{ "dmabridge0n", false },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(__dmab_is_dmabridge_name(names[i].n) == names[i].ok, "%s", names[i].n);

	/* the decision rule, in order */
	p = (struct __dmab_probe){ .is_reg = true, .on_dmabridge = true, .fs_served = true };
	CHECK(__dmab_decide(&p) == DMAB_REASON_NONE, "direct");
	p.dio_known = true;
	CHECK(__dmab_decide(&p) == DMAB_REASON_NONE, "dio known, aligned");
	p.dio_none = true;
	CHECK(__dmab_decide(&p) == DMAB_REASON_WOULD_BUFFER, "would buffer");
	p.fs_served = false;
	CHECK(__dmab_decide(&p) == DMAB_REASON_FS_NOT_SERVED, "fs");
	p.on_dmabridge = false;
	CHECK(__dmab_decide(&p) == DMAB_REASON_NOT_DMABRIDGE_DEV, "device");
	p.module_reason = DMAB_REASON_NO_MODULE;
	CHECK(__dmab_decide(&p) == DMAB_REASON_NO_MODULE, "module");
	p.compat_forced = true;
	CHECK(__dmab_decide(&p) == DMAB_REASON_COMPAT_FORCED, "forced");
	p = (struct __dmab_probe){ .is_blk = true, .on_dmabridge = true,
				   .dio_known = true, .dio_none = true };
	CHECK(__dmab_decide(&p) == DMAB_REASON_NONE, "block device: no fs, no statx rule");
	p.on_dmabridge = false;
	CHECK(__dmab_decide(&p) == DMAB_REASON_NOT_DMABRIDGE_DEV, "other disk");

	if (failures) {
		printf("FAIL: %d failures\n", failures);
		return 1;
	}
	printf("ok: reasons\n");
	return 0;
}
