/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmabridge NVMe PCIe driver: structures shared by the controller, queue,
 * mapping, disk, passthrough and sysfs files.
 */
#ifndef DBR_NVME_H
#define DBR_NVME_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/dmapool.h>
#include <linux/mutex.h>
#include <linux/nvme.h>
#include <linux/pci.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "dbr_sgl.h"
#include "dbr_stats.h"
#include "dbr_token.h"

#define DBR_CTRL_PAGE_SHIFT	12
#define DBR_CTRL_PAGE_SIZE	BIT(DBR_CTRL_PAGE_SHIFT)
#define DBR_AQ_DEPTH		32
#define DBR_MAX_SEGS		128	/* scatterlist entries per request */
#define DBR_MAX_DESC_PAGES	4	/* descriptor list pages per request */
#define DBR_SMALL_POOL_SIZE	256
#define DBR_SCT_SC_MASK		0x7ff	/* status code type + status code */
#define DBR_MAX_RETRIES		5
#define DBR_CTRL_MINORS		256	/* /dev/dmabridge<C> instances */

/* Controller life cycle; transitions in dbr_ctrl_set_state(). */
enum dbr_state {
	DBR_NEW,	/* probing: first bring-up in progress */
	DBR_LIVE,
	DBR_RESETTING,	/* reset work owns the hardware */
	DBR_DELETING,	/* unbind / removal: no more resets */
	DBR_DEAD,	/* hardware gone or failed: every request errors */
};

/* dbr_ctrl.flags */
enum {
	DBR_F_IO_QUIESCED,
	DBR_F_ADMIN_QUIESCED,
};

/* dbr_queue.flags */
enum {
	DBR_Q_ENABLED,
};

/**
 * struct dbr_queue - one submission/completion queue pair
 * @sq_lock: serialises submitters (blk-mq may run a hctx on several CPUs)
 * @dbbuf_sq_db: shadow SQ tail doorbell (NULL: MMIO doorbells only)
 * @dbbuf_cq_db: shadow CQ head doorbell
 * @dbbuf_sq_ei: SQ event index, written by the controller
 * @dbbuf_cq_ei: CQ event index, written by the controller
 * @cq_lock: serialises completion processing outside the irq handler
 */
struct dbr_queue {
	struct dbr_ctrl *ctrl;
	spinlock_t sq_lock;	/* SQ tail, doorbell and shadow doorbell writes */
	struct nvme_command *sq_cmds;
	struct nvme_completion *cqes;
	dma_addr_t sq_dma;
	dma_addr_t cq_dma;
	u32 __iomem *q_db;
	__le32 *dbbuf_sq_db;
	__le32 *dbbuf_cq_db;
	__le32 *dbbuf_sq_ei;
	__le32 *dbbuf_cq_ei;
	u32 q_depth;
	u16 qid;
	u16 cq_vector;
	u16 sq_tail;
	u16 last_sq_tail;
	u16 cq_head;
	u8 cq_phase;
	unsigned long flags;
	spinlock_t cq_lock;	/* CQ head and phase: interrupt against poll */
};

/**
 * struct dbr_data - how a request's data was mapped and described
 * @nr_sg: scatterlist entries handed to dma_map_sg (0: nothing mapped)
 * @nents: entries dma_map_sg returned
 * @dma: segments the block layer mapped without a scatterlist (7.x; @dma.nr
 *	0: nothing mapped), kept in the iod's scatterlist space
 * @single: the one segment mapped with dma_map_bvec (len 0: not used)
 * @use_sgl: SGL (true) or PRP (false) data pointer
 * @pages: descriptor list pages, released by dbr_desc_release()
 */
struct dbr_data {
	int nr_sg;
	int nents;
	bool use_sgl;
	bool token;
	struct dbr_seg single;
	struct dbr_compat_rq_dma dma;
	struct dbr_desc_pages pages;
};

/**
 * struct dbr_iod - per-request driver data (blk-mq pdu)
 * @cmd: the command; filled by the submitter for passthrough requests
 * @status: NVMe status (phase bit stripped) or NVME_SC_HOST_ABORTED_CMD
 * @result: completion dword 0/1, for passthrough
 * @cancelled: completed by the driver, not by the controller
 * @aborted: timed out once; an NVMe Abort was sent for it
 * @dsm: Dataset Management range list (pool page), if any
 * @genctr: how often the request was issued, modulo 16: the top bits of its
 *	command id (dbr_cid()); kept across reuse of the tag
 * @sg: scatterlist for dma_map_sg; DBR_MAX_SEGS entries follow the iod (room
 *	token requests and @data.dma reuse for their segments)
 */
struct dbr_iod {
	struct nvme_command cmd;
	u16 status;
	bool cancelled;
	bool aborted;
	u8 retries;
	u8 genctr;
	union nvme_result result;
	struct dbr_data data;
	void *dsm;
	dma_addr_t dsm_dma;
	struct scatterlist sg[];
};

/*
 * @eui64, @nguid, @uuid: the namespace's identifiers (Identify Namespace
 * and its descriptor list), all zero where the controller reports none.
 */
struct dbr_ns {
	struct list_head list;
	struct dbr_ctrl *ctrl;
	struct gendisk *disk;
	u32 nsid;
	u8 lba_shift;
	u64 nsze;	/* in logical blocks */
	u8 eui64[8];
	u8 nguid[16];
	uuid_t uuid;
};

/* What Identify Controller told us, kept for limits, sysfs and logs. */
struct dbr_ctrl_info {
	char model[41];
	char serial[21];
	char fw_rev[9];
	u16 vid;
	u16 oacs;
	u16 oncs;
	u8 acl;
	u8 vwc;
	u8 mdts;
	u8 wzsl;
	u32 sgls;
	u32 nn;
	u32 dmrsl;
};

/**
 * struct dbr_ctrl - one NVMe controller owned by dmabridge
 * @ctrl_dev: the /dev/dmabridge<C> device; its release frees the structure
 * @lock: protects @state
 * @shutdown_lock: serialises enabling and disabling the hardware
 * @ns_rwsem: protects @namespaces
 * @sgl: SGLs usable (controller support and the use_sgl parameter)
 * @dbbuf_dbs: shadow doorbell buffer (Doorbell Buffer Config), or NULL
 * @dbbuf_eis: event index buffer, allocated and freed with @dbbuf_dbs
 * @dbbuf_size: bytes of each of the two buffers
 * @shadow_db: the controller accepted the buffers: I/O queues use them
 * @abort_limit: Abort commands that may still be sent (ACL + 1 at most)
 */
struct dbr_ctrl {
	struct dbr_token_dev tdev;
	struct dbr_stats stats;
	struct pci_dev *pdev;
	struct device *dev;
	void __iomem *bar;
	u32 __iomem *dbs;
	int instance;
	u64 cap;
	u32 vs;
	u32 db_stride;
	u32 q_depth;
	u32 ctrl_config;
	unsigned long ready_timeout;	/* jiffies */
	enum dbr_state state;
	unsigned long flags;
	spinlock_t lock;		/* state transitions (dbr_ctrl_set_state()) */
	struct mutex shutdown_lock;	/* disable and enable, one at a time */
	struct work_struct reset_work;

	struct dbr_queue *queues;	/* [0] admin, [1..] I/O */
	unsigned int max_qid;		/* allocated queue structs - 1 */
	unsigned int nr_io_queues;	/* created I/O queues */
	unsigned int nr_vecs;

	struct blk_mq_tag_set admin_set;
	struct blk_mq_tag_set io_set;
	bool io_set_ready;
	struct request_queue *admin_q;
	__le32 *dbbuf_dbs;
	__le32 *dbbuf_eis;
	dma_addr_t dbbuf_dbs_dma;
	dma_addr_t dbbuf_eis_dma;
	size_t dbbuf_size;
	bool shadow_db;
	atomic_t abort_limit;

	struct dma_pool *page_pool;
	struct dma_pool *small_pool;
	struct dbr_desc_cfg desc_cfg;

	struct dbr_ctrl_info id;
	bool sgl;
	bool vwc;
	u32 max_hw_sectors;
	u32 max_segments;

	struct rw_semaphore ns_rwsem;
	struct list_head namespaces;

	struct device ctrl_dev;
	struct cdev cdev;
	struct dentry *debugfs;		/* dbr_debugfs.c */
	u32 drop_completions;		/* debugfs knob: completions to ignore */
};

static inline struct dbr_iod *dbr_iod(struct request *req)
{
	return blk_mq_rq_to_pdu(req);
}

/*
 * Command ids: a 4-bit generation above the 12-bit tag (queues are at most
 * 4096 deep), as nvme-pci's nvme_cid(). A completion posted twice, or late
 * for an earlier use of the tag, then does not match the request that now
 * holds the tag, and an Abort names the issue it was meant for.
 */
#define DBR_CID_TAG_BITS	12
#define DBR_CID_TAG_MASK	((1U << DBR_CID_TAG_BITS) - 1)

static inline u16 dbr_cid(struct request *req)
{
	return (dbr_iod(req)->genctr & 0xf) << DBR_CID_TAG_BITS | req->tag;
}

static inline bool dbr_is_passthrough(struct request *req)
{
	return blk_rq_is_passthrough(req);
}

/* dbr_params.c */
extern unsigned int dbr_io_queue_depth;
extern unsigned int dbr_max_io_queues;
extern unsigned int dbr_sgl_threshold;
extern bool dbr_use_sgl_param;
extern bool dbr_shadow_doorbell;
extern int dbr_token_sgl;
enum { DBR_TOKEN_SGL_AUTO, DBR_TOKEN_SGL_FORCE, DBR_TOKEN_SGL_OFF };
extern unsigned int dbr_admin_timeout;
extern unsigned int dbr_io_timeout;

/* dbr_ctrl.c */
u32 dbr_readl(struct dbr_ctrl *ctrl, u32 off);
bool dbr_ctrl_set_state(struct dbr_ctrl *ctrl, enum dbr_state new_state);
enum dbr_state dbr_ctrl_state(struct dbr_ctrl *ctrl);
void dbr_ctrl_disable(struct dbr_ctrl *ctrl, bool shutdown);
int dbr_ctrl_enable_admin(struct dbr_ctrl *ctrl);
int dbr_ctrl_create_io_queues(struct dbr_ctrl *ctrl);
bool dbr_ctrl_schedule_reset(struct dbr_ctrl *ctrl);
int dbr_ctrl_reset_sync(struct dbr_ctrl *ctrl);
void dbr_reset_work(struct work_struct *work);
void dbr_cancel_all(struct dbr_ctrl *ctrl);
void dbr_quiesce_io(struct dbr_ctrl *ctrl);
void dbr_unquiesce_io(struct dbr_ctrl *ctrl);

/* dbr_admin.c */
int dbr_submit_sync(struct request_queue *q, struct nvme_command *cmd,
		    void *buf, unsigned int len, union nvme_result *result);
int dbr_identify_ctrl(struct dbr_ctrl *ctrl);
int dbr_set_queue_count(struct dbr_ctrl *ctrl, unsigned int *count);
int dbr_create_queue(struct dbr_ctrl *ctrl, struct dbr_queue *q);
int dbr_delete_queue(struct dbr_ctrl *ctrl, u8 opcode, u16 qid);
int dbr_identify_ns_list(struct dbr_ctrl *ctrl, __le32 *list);
int dbr_identify_ns(struct dbr_ctrl *ctrl, u32 nsid, struct nvme_id_ns *id);
int dbr_dbbuf_config(struct dbr_ctrl *ctrl, dma_addr_t dbs, dma_addr_t eis);
int dbr_abort_async(struct dbr_ctrl *ctrl, struct dbr_queue *q,
		    struct request *req);

/* dbr_queue.c */
int dbr_queue_alloc(struct dbr_ctrl *ctrl, u16 qid, u32 depth);
void dbr_queue_free(struct dbr_ctrl *ctrl, u16 qid);
void dbr_queue_init(struct dbr_queue *q);
int dbr_queue_request_irq(struct dbr_queue *q);
void dbr_queue_suspend(struct dbr_queue *q);
void dbr_queue_reap(struct dbr_queue *q);
void dbr_dbbuf_alloc(struct dbr_ctrl *ctrl);
void dbr_dbbuf_free(struct dbr_ctrl *ctrl);
void dbr_dbbuf_set(struct dbr_ctrl *ctrl);
int dbr_alloc_admin_tagset(struct dbr_ctrl *ctrl);
void dbr_free_admin_tagset(struct dbr_ctrl *ctrl);
int dbr_alloc_io_tagset(struct dbr_ctrl *ctrl);
void dbr_free_io_tagset(struct dbr_ctrl *ctrl);
blk_status_t dbr_status_to_blk(u16 status);

/* dbr_map.c: request data -> NVMe data pointer */
blk_status_t dbr_map_data(struct dbr_ctrl *ctrl, struct dbr_queue *q,
			  struct request *req, struct nvme_command *cmd);
void dbr_unmap_data(struct dbr_ctrl *ctrl, struct request *req);
int dbr_pools_create(struct dbr_ctrl *ctrl);
void dbr_pools_destroy(struct dbr_ctrl *ctrl);

/* dbr_disk.c */
int dbr_ns_scan(struct dbr_ctrl *ctrl);
void dbr_ns_remove_all(struct dbr_ctrl *ctrl);
void dbr_ns_mark_dead(struct dbr_ctrl *ctrl);
blk_status_t dbr_setup_cmd(struct dbr_ns *ns, struct request *req,
			   struct nvme_command *cmd);
void dbr_release_cmd(struct dbr_ctrl *ctrl, struct request *req);

/* dbr_pt.c */
int dbr_pt_init(void);
void dbr_pt_exit(void);
int dbr_pt_add(struct dbr_ctrl *ctrl);
void dbr_pt_del(struct dbr_ctrl *ctrl);
int dbr_ns_ioctl(struct dbr_ns *ns, unsigned int cmd, void __user *argp);

/* dbr_sysfs.c */
extern const struct attribute_group *dbr_ctrl_groups[];
extern const struct attribute_group *dbr_ns_groups[];
void dbr_sysfs_init(void);

/* dbr_debugfs.c */
void dbr_debugfs_init(void);
void dbr_debugfs_exit(void);
void dbr_debugfs_add(struct dbr_ctrl *ctrl);
void dbr_debugfs_del(struct dbr_ctrl *ctrl);
bool dbr_debugfs_drop_completion(struct dbr_ctrl *ctrl);

#endif /* DBR_NVME_H */
