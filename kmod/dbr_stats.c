// SPDX-License-Identifier: GPL-2.0
/*
 * Counter names, in enum dbr_stat order: the file or key names under which
 * the driver shows them.
 */
#include "dbr_stats.h"

const char *const dbr_stat_names[DBR_STAT_NR] = {
	[DBR_STAT_TOKENS]		= "tokens",
	[DBR_STAT_MAPPED_BYTES]		= "mapped_bytes",
	[DBR_STAT_MAPPED_RUNS]		= "mapped_runs",
	[DBR_STAT_MAPS]			= "maps",
	[DBR_STAT_UNMAPS]		= "unmaps",
	[DBR_STAT_INVALIDATIONS]	= "invalidations",
	[DBR_STAT_READ_IOS]		= "read_ios",
	[DBR_STAT_READ_BYTES]		= "read_bytes",
	[DBR_STAT_WRITE_IOS]		= "write_ios",
	[DBR_STAT_WRITE_BYTES]		= "write_bytes",
	[DBR_STAT_SGL_DESCS]		= "sgl_descs",
	[DBR_STAT_PRP_FALLBACKS]	= "prp_fallbacks",
	[DBR_STAT_DMA_SYNCS]		= "dma_syncs",
	[DBR_STAT_P2P_SYNC_SKIPS]	= "p2p_sync_skips",
	[DBR_STAT_CPU_FILLED_BYTES]	= "cpu_filled_bytes",
	[DBR_STAT_ERR_MAP]		= "err_map",
	[DBR_STAT_ERR_FENCE]		= "err_fence",
	[DBR_STAT_ERR_RANGE]		= "err_range",
	[DBR_STAT_ERR_ALIGN]		= "err_align",
	[DBR_STAT_ERR_COVERAGE]		= "err_coverage",
	[DBR_STAT_ERR_IO]		= "err_io",
	[DBR_STAT_ERR_OTHER]		= "err_other",
};
