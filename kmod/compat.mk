# SPDX-License-Identifier: GPL-2.0
# What the kernel being built for offers, detected once for kmod/ and the
# test modules (both include this file); kmod/compat.h adapts to it.
#
# API differences are probed in the kernel's own headers, not inferred from
# its version number: distribution kernels carry APIs from later releases
# (Debian's 6.12 has v6.13's struct rq_list from the stable series).
# Behaviour that no header shows is decided by the version, here and
# nowhere else.

# $(call dbr_probe,header,fixed string,flag): -Dflag if the header has it
# for probe strings with a comma or an unbalanced parenthesis
dbr_comma := ,
dbr_lparen := (
dbr_probe = $(if $(shell grep -Fqs '$(2)' $(srctree)/include/$(1) && echo y),-D$(3))

# queue_rqs' list: struct rq_list {head, tail} (v6.13; in <linux/blk_plug.h>
# since 7.x), else a bare head
ccflags-y += $(call dbr_probe,linux/blkdev.h,struct rq_list {,DBR_PROBED_RQ_LIST)
ccflags-y += $(call dbr_probe,linux/blk_plug.h,struct rq_list {,DBR_PROBED_RQ_LIST)
# class_create(name) (v6.4), else class_create(owner, name)
ccflags-y += $(call dbr_probe,linux/device/class.h,class_create(const char *name),DBR_PROBED_CLASS_CREATE_NAME)
# queue limits passed at allocation: blk_mq_alloc_queue() (v6.9)
ccflags-y += $(call dbr_probe,linux/blk-mq.h,struct request_queue *blk_mq_alloc_queue,DBR_PROBED_QUEUE_LIMITS_ALLOC)
# block_device_operations take a blk_mode_t (v6.5), else an fmode_t
ccflags-y += $(call dbr_probe,linux/blkdev.h,blk_mode_t;,DBR_PROBED_BLK_MODE_T)
# dma_buf_vmap_unlocked() (v6.2): dma_buf_vmap() wants the resv lock held
ccflags-y += $(call dbr_probe,linux/dma-buf.h,int dma_buf_vmap_unlocked,DBR_PROBED_DMA_BUF_VMAP_UNLOCKED)
# vma->vm_flags read-only behind vm_flags_set() (v6.3)
ccflags-y += $(call dbr_probe,linux/mm.h,void vm_flags_set,DBR_PROBED_VM_FLAGS_SET)
# <linux/io_uring/cmd.h> with io_uring_sqe_cmd() (v6.7), else ucmd->cmd
ccflags-y += $(call dbr_probe,linux/io_uring/cmd.h,io_uring_sqe_cmd,DBR_PROBED_IO_URING_CMD_H)
# NVMe status bits: NVME_STATUS_DNR (v6.11, and Debian's 6.1 from the
# stable series), else NVME_SC_DNR
ccflags-y += $(call dbr_probe,linux/nvme.h,NVME_STATUS_DNR,DBR_PROBED_NVME_STATUS_DNR)
# io_uring_cmd_done(): the second result word moved to
# io_uring_cmd_done32() (v6.18); before v6.3 (and upstream's 6.1, not
# Debian's) it took no issue_flags
ccflags-y += $(call dbr_probe,linux/io_uring/cmd.h,io_uring_cmd_done32,DBR_PROBED_URING_CMD_DONE32)
dbr_rparen := )
ccflags-y += $(call dbr_probe,linux/io_uring.h,ssize_t res2$(dbr_rparen);,DBR_PROBED_URING_CMD_DONE_NOFLAGS)
# inode attributes: struct file_kattr (v6.17), else struct fileattr
ccflags-y += $(call dbr_probe,linux/fileattr.h,struct file_kattr {,DBR_PROBED_FILE_KATTR)
# io_uring_sqe128_cmd(sqe, type): the payload of a 128-byte SQE, its size
# checked (7.x), where io_uring_sqe_cmd() took the type too; else
# io_uring_sqe_cmd(sqe)
ccflags-y += $(call dbr_probe,linux/io_uring/cmd.h,define io_uring_sqe128_cmd(sqe$(dbr_comma) type),DBR_PROBED_SQE128_CMD)
# uring_cmd task work gets a struct io_tw_req (7.x), else the command
# and its issue flags
ccflags-y += $(call dbr_probe,linux/io_uring/cmd.h,io_req_tw_func_t task_work_cb,DBR_PROBED_URING_TW_REQ)
# blk_rq_map_kern() and blk_rq_map_sg() without the queue (v6.16, v6.15)
ccflags-y += $(call dbr_probe,linux/blk-mq.h,int blk_rq_map_kern$(dbr_lparen)struct request *rq,DBR_PROBED_RQ_MAP_KERN_NOQ)
ccflags-y += $(call dbr_probe,linux/blk-mq.h,int blk_rq_map_sg$(dbr_lparen)struct request *rq,DBR_PROBED_RQ_MAP_SG_NOQ)
# a request's end_io also gets the completion batch (7.x)
ccflags-y += $(call dbr_probe,linux/blk-mq.h,(rq_end_io_fn)$(dbr_lparen)struct request *$(dbr_comma) blk_status_t$(dbr_comma),DBR_PROBED_END_IO_BATCH)
# BLK_MQ_F_SHOULD_MERGE, gone in v6.14 (merging is the default)
ccflags-y += $(call dbr_probe,linux/blk-mq.h,BLK_MQ_F_SHOULD_MERGE,DBR_PROBED_BLK_MQ_F_SHOULD_MERGE)
# blk_mq_pci_map_queues() in <linux/blk-mq-pci.h>, gone in v6.15 for
# blk_mq_map_hw_queues() (v6.14; Debian's 6.12 has both)
ccflags-y += $(call dbr_probe,linux/blk-mq-pci.h,blk_mq_pci_map_queues,DBR_PROBED_BLK_MQ_PCI)
# dma-buf importers' move_notify renamed invalidate_mappings (early 2026)
ccflags-y += $(call dbr_probe,linux/dma-buf.h,(*invalidate_mappings)$(dbr_lparen)struct dma_buf_attachment,DBR_PROBED_INVALIDATE_MAPPINGS)
# symbol namespaces are string literals (v6.13), else bare words
ccflags-y += $(call dbr_probe,linux/module.h,MODULE_INFO(import_ns$(dbr_comma) ns),DBR_PROBED_IMPORT_NS_STRING)
# struct bvec_iter's bi_bvec_done renamed bi_offset (7.x)
ccflags-y += $(call dbr_probe,linux/bvec.h,bi_bvec_done;,DBR_PROBED_BI_BVEC_DONE)
# request data mapped without a scatterlist: blk_rq_dma_map_iter_next()
# without the IOVA state and blk_rq_dma_unmap() taking the p2pdma map type
# (7.x), else blk_rq_map_sg() + dma_map_sg()
dbr_rq_dma_h := $(srctree)/include/linux/blk-mq-dma.h
ifneq ($(shell grep -Fqs 'enum pci_p2pdma_map_type map$(dbr_rparen)' $(dbr_rq_dma_h) && grep -Pzqs 'blk_rq_dma_map_iter_next\([^;]*dma_dev,\s*struct blk_dma_iter \*iter\);' $(dbr_rq_dma_h) && echo y),)
ccflags-y += -DDBR_PROBED_BLK_RQ_DMA_ITER
endif

# $(call dbr_since,major,minor,flag): -Dflag from that release on
dbr_kver := $(shell echo $$(($(VERSION) * 1000 + $(PATCHLEVEL))) 2>/dev/null)
ifeq ($(dbr_kver),)
$(error compat.mk: no kernel VERSION/PATCHLEVEL from the kernel's Makefile)
endif
dbr_since = $(if $(shell [ $(dbr_kver) -ge $$(($(1) * 1000 + $(2))) ] && echo y),-D$(3))

# v6.2: a per-CPU-cached bio may be freed in hard-IRQ context (block/bio.c)
ccflags-y += $(call dbr_since,6,2,DBR_KERNEL_BIO_CACHE_IRQ)
# v6.6: vfs_iocb_iter_write() takes the freeze protection itself
# (fs/read_write.c)
ccflags-y += $(call dbr_since,6,6,DBR_KERNEL_VFS_WRITE_FREEZE)
