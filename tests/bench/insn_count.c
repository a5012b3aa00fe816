// SPDX-License-Identifier: GPL-2.0
/*
 * insn_count.so - a QEMU TCG plugin that counts, per translated block, how
 * often the guest executed it, and writes snapshots of the counts on the
 * guest's request. tests/bench/token-insns turns two snapshots into guest
 * instructions per I/O, per kernel function: exact and repeatable, where
 * timing under TCG on a shared host is not.
 *
 *   qemu-system-x86_64 ... -plugin /path/insn_count.so,dir=DIR
 *
 * The guest asks for a snapshot NAME by creating DIR/insn-req-NAME (DIR is
 * shared with it); the plugin writes DIR/insn-NAME.txt (complete when it
 * appears: written under another name, then renamed) and removes the
 * request. Each line: "VADDR NINSNS EXECUTIONS" of one translated block,
 * blocks never executed left out.
 *
 * Only the stable core of QEMU's plugin API is used (API version 2, which
 * QEMU 8.2 to 10.x load), declared here rather than taken from QEMU's
 * header, which Debian does not ship.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- the part of QEMU's plugin API used ---- */

#define PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;

typedef struct qemu_info_t {
	const char *target_name;
	struct {
		int min;
		int cur;
	} version;
	bool system_emulation;
} qemu_info_t;

struct qemu_plugin_tb;

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
};

typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);

PLUGIN_EXPORT int qemu_plugin_version = 2;
PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
				      const qemu_info_t *info, int argc,
				      char **argv);

/* ---- counting ---- */

#define MAX_VCPUS	8	/* one counter each: no atomic add needed */
#define SLOTS		(1U << 21)

/* A translated block, by start address and length (retranslations share) */
struct block {
	uint64_t vaddr;
	uint64_t ninsns;
	uint64_t execs[MAX_VCPUS];
};

static struct block **table;
static unsigned int used;
static bool full_warned;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[4096];

static void block_exec(unsigned int vcpu, void *udata)
{
	struct block *b = udata;
	uint64_t *c = &b->execs[vcpu % MAX_VCPUS];

	/* only this vCPU's thread writes it; snapshots read it concurrently */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

static struct block *block_get(uint64_t vaddr, uint64_t ninsns)
{
	uint64_t h = (vaddr ^ (ninsns << 56)) * 0x9e3779b97f4a7c15ULL;
	unsigned int i = (unsigned int)(h >> 43) & (SLOTS - 1);
	struct block *b;

	for (;; i = (i + 1) & (SLOTS - 1)) {
		b = table[i];
		if (b && b->vaddr == vaddr && b->ninsns == ninsns)
			return b;
		if (b)
			continue;
		if (used >= SLOTS / 4 * 3)
			return NULL;
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->vaddr = vaddr;
		b->ninsns = ninsns;
		__atomic_store_n(&table[i], b, __ATOMIC_RELEASE);
		used++;
		return b;
	}
}

static void block_translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b;

	(void)id;
	pthread_mutex_lock(&table_lock);
	b = block_get(qemu_plugin_tb_vaddr(tb), qemu_plugin_tb_n_insns(tb));
	if (!b && !full_warned) {
		fprintf(stderr, "insn_count: table full, counts incomplete\n");
		full_warned = true;
	}
	pthread_mutex_unlock(&table_lock);
	if (b)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, block_exec,
						     QEMU_PLUGIN_CB_NO_REGS, b);
}

/* ---- snapshots ---- */

static void snapshot(const char *name)
{
	char path[4400], tmp[4500];
	unsigned int i, v;
	FILE *f;

	snprintf(path, sizeof(path), "%s/insn-%s.txt", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.part", path);
	f = fopen(tmp, "w");
	if (!f) {
		perror("insn_count: snapshot");
		return;
	}
	for (i = 0; i < SLOTS; i++) {
		struct block *b = __atomic_load_n(&table[i], __ATOMIC_ACQUIRE);
		uint64_t n = 0;

		if (!b)
			continue;
		for (v = 0; v < MAX_VCPUS; v++)
			n += __atomic_load_n(&b->execs[v], __ATOMIC_RELAXED);
		if (n)
			fprintf(f, "%llx %llu %llu\n",
				(unsigned long long)b->vaddr,
				(unsigned long long)b->ninsns,
				(unsigned long long)n);
	}
	if (fclose(f) || rename(tmp, path))
		perror("insn_count: snapshot");
}

static void *watch(void *arg)
{
	const struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };

	(void)arg;
	for (;;) {
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			char req[4400];

			if (strncmp(de->d_name, "insn-req-", 9))
				continue;
			snapshot(de->d_name + 9);
			snprintf(req, sizeof(req), "%s/%s", dir, de->d_name);
			unlink(req);
		}
		if (d)
			closedir(d);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
			int argc, char **argv)
{
	pthread_t t;
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "dir=", 4))
			snprintf(dir, sizeof(dir), "%s", argv[i] + 4);
	if (!dir[0]) {
		fprintf(stderr, "insn_count: needs dir=DIR\n");
		return -1;
	}
	table = calloc(SLOTS, sizeof(*table));
	if (!table)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, block_translated);
	if (pthread_create(&t, NULL, watch, NULL))
		return -1;
	pthread_detach(t);
	return 0;
}
