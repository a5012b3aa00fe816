// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* The library's reasons as text, and the errno each stands for. */
#include <errno.h>

#include "internal.h"

static const struct {
	const char *name, *text;
	int err;		/* what the direct path fails with (compat off) */
} reasons[DMAB_REASON__COUNT] = {
	[DMAB_REASON_NONE] = { "direct", "direct path", 0 },
	[DMAB_REASON_COMPAT_FORCED] = { "compat-forced",
		"compat path forced (DMABRIDGE_COMPAT=on or the compat option)",
		EXDEV },
	[DMAB_REASON_NO_MODULE] = { "no-module",
		"dmabridge module not loaded (no /dev/dmabridge)", ENODEV },
	[DMAB_REASON_CTL_ACCESS] = { "ctl-access",
		"/dev/dmabridge could not be opened (permission or error)",
		EACCES },
	[DMAB_REASON_ABI_MISMATCH] = { "abi-mismatch",
		"dmabridge module speaks another ABI major version", EPROTO },
	[DMAB_REASON_NOT_DMABRIDGE_DEV] = { "not-dmabridge-dev",
		"not on a dmabridge device", EXDEV },
	[DMAB_REASON_FS_NOT_SERVED] = { "fs-not-served",
		"filesystem not served by dmabridge (only ext2/3/4 and xfs are)",
		EXDEV },
	[DMAB_REASON_WOULD_BUFFER] = { "would-buffer",
		"filesystem would serve direct I/O from the page cache (data=journal, inline data, encryption)",
		EINVAL },
	[DMAB_REASON_UNALIGNED] = { "unaligned",
		"head or tail not aligned to the device's logical block size",
		EINVAL },
	[DMAB_REASON_MISALIGNED] = { "misaligned",
		"buffer and file offsets differ modulo the logical block size",
		EINVAL },
	[DMAB_REASON_CPU_FILLED] = { "cpu-filled",
		"filesystem served part of the read by CPU (hole, inline data)",
		ENODATA },
	[DMAB_REASON_EXPORTER] = { "exporter",
		"exporter cannot map the buffer for the NVMe controller (or mixes system and device memory)",
		EOPNOTSUPP },
	[DMAB_REASON_TOKEN] = { "token",
		"dmabridge module refused to register the dma-buf", ENOSPC },
	[DMAB_REASON_MODULE_REFUSED] = { "module-refused",
		"dmabridge module refused the request", EINVAL },
	[DMAB_REASON_NO_ODIRECT] = { "no-odirect",
		"compat path uses buffered I/O: the file cannot be opened with O_DIRECT (tmpfs before Linux 6.6)",
		EINVAL },
	[DMAB_REASON_NO_CPU_MAP] = { "no-cpu-map",
		"exporter refuses a CPU mapping (page-less device memory): no compat path",
		EOPNOTSUPP },
	[DMAB_REASON_BOUNCE_SHARE] = { "bounce-share",
		"DMA bounces through swiotlb and tokens already hold their share of it (token_bounce_pct)",
		ENOBUFS },
};

const char *dmab_strerror(int reason)
{
	if (reason < 0 || reason >= DMAB_REASON__COUNT)
		return "unknown dmabridge reason";
	return reasons[reason].text;
}

const char *dmab_reason_name(int reason)
{
	if (reason < 0 || reason >= DMAB_REASON__COUNT)
		return "unknown";
	return reasons[reason].name;
}

int __dmab_reason_errno(uint32_t reason)
{
	if (reason >= DMAB_REASON__COUNT || !reasons[reason].err)
		return -EXDEV;
	return -reasons[reason].err;
}

const char *dmab_source_name(int source)
{
	switch (source) {
	case DMAB_SRC_DEFAULT: return "default";
	case DMAB_SRC_OPTION: return "option";
	case DMAB_SRC_ENV: return "environment";
	}
	return "unknown";
}

const char *dmab_compat_name(int compat)
{
	switch (compat) {
	case DMAB_COMPAT_AUTO: return "auto";
	case DMAB_COMPAT_ON: return "on";
	case DMAB_COMPAT_OFF: return "off";
	}
	return "unknown";
}
