/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dbr_stats.h - per-controller token path counters
 *
 * One struct dbr_stats per controller. Counters are per-CPU and summed on
 * read, so the I/O path pays one this_cpu_add() per event and no shared
 * cache line. Gauges (tokens and bytes currently mapped) are counters that
 * also go down; their per-CPU parts may be negative, the sum is exact once
 * the events it counts have returned.
 *
 * The names in dbr_stat_names[] are the file or key names the driver shows in
 * sysfs/debugfs: snake_case, stable, one per counter.
 */
#ifndef DBR_STATS_H
#define DBR_STATS_H

#include <linux/cpumask.h>
#include <linux/percpu.h>
#include <linux/types.h>

enum dbr_stat {
	/* gauges: what is mapped on this controller right now */
	DBR_STAT_TOKENS,		/* live mappings (one per dma-buf in use) */
	DBR_STAT_MAPPED_BYTES,		/* bytes those mappings cover */
	DBR_STAT_MAPPED_RUNS,		/* runs they were coalesced into */

	/* mapping lifecycle */
	DBR_STAT_MAPS,			/* dma_buf_map_attachment() calls */
	DBR_STAT_UNMAPS,		/* dma_buf_unmap_attachment() calls */
	DBR_STAT_INVALIDATIONS,		/* move_notify() on a live mapping */

	/* requests */
	DBR_STAT_READ_IOS,		/* file -> buffer requests completed */
	DBR_STAT_READ_BYTES,
	DBR_STAT_WRITE_IOS,		/* buffer -> file requests completed */
	DBR_STAT_WRITE_BYTES,
	DBR_STAT_SGL_DESCS,		/* SGL Data Block descriptors built */
	DBR_STAT_PRP_FALLBACKS,		/* token commands built with PRPs */
	DBR_STAT_DMA_SYNCS,		/* dma_sync_single_for_{device,cpu} */
	DBR_STAT_P2P_SYNC_SKIPS,	/* syncs skipped: peer-to-peer run */
	DBR_STAT_CPU_FILLED_BYTES,	/* bytes the CPU filled (holes) */

	/* failed requests by kind, each counted once */
	DBR_STAT_ERR_MAP,		/* attach/map failed or unusable */
	DBR_STAT_ERR_FENCE,		/* reservation fence wait failed */
	DBR_STAT_ERR_RANGE,		/* outside the token */
	DBR_STAT_ERR_ALIGN,		/* unaligned offset or length */
	DBR_STAT_ERR_COVERAGE,		/* bytes not moved by DMA */
	DBR_STAT_ERR_IO,		/* NVMe command failed */
	DBR_STAT_ERR_OTHER,		/* any other errno */

	DBR_STAT_NR
};

extern const char *const dbr_stat_names[DBR_STAT_NR];

/**
 * struct dbr_stats - a controller's counters
 * @pcpu: DBR_STAT_NR signed 64-bit counters per CPU
 */
struct dbr_stats {
	s64 __percpu *pcpu;
};

/**
 * dbr_stats_init() - allocate the per-CPU counters, all zero
 * @s: counters to set up
 *
 * Return: 0 or -ENOMEM.
 */
static inline int dbr_stats_init(struct dbr_stats *s)
{
	s->pcpu = __alloc_percpu(sizeof(s64) * DBR_STAT_NR, sizeof(s64));
	return s->pcpu ? 0 : -ENOMEM;
}

/** dbr_stats_exit() - inverse of dbr_stats_init() */
static inline void dbr_stats_exit(struct dbr_stats *s)
{
	free_percpu(s->pcpu);
	s->pcpu = NULL;
}

/**
 * dbr_stat_add() - add @n (may be negative) to counter @i
 * @s: counters, or NULL (the event is not counted)
 * @i: which counter
 * @n: amount
 *
 * Any context, including hard interrupts.
 */
static inline void dbr_stat_add(struct dbr_stats *s, enum dbr_stat i, s64 n)
{
	if (s)
		this_cpu_add(s->pcpu[i], n);
}

static inline void dbr_stat_inc(struct dbr_stats *s, enum dbr_stat i)
{
	dbr_stat_add(s, i, 1);
}

static inline void dbr_stat_dec(struct dbr_stats *s, enum dbr_stat i)
{
	dbr_stat_add(s, i, -1);
}

/**
 * dbr_stat_read() - current value of counter @i
 * @s: counters
 * @i: which counter
 *
 * Sums every possible CPU: for sysfs/debugfs, not for the I/O path.
 * Return: the sum, clamped at 0 (a gauge read while its events race).
 */
static inline u64 dbr_stat_read(struct dbr_stats *s, enum dbr_stat i)
{
	s64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(&s->pcpu[i], cpu);
	return sum < 0 ? 0 : sum;
}

#endif /* DBR_STATS_H */
