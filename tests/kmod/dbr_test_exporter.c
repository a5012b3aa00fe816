// SPDX-License-Identifier: GPL-2.0
/*
 * dbr_test_exporter: dma-bufs of controlled shapes for dmabridge's token
 * tests. Test-only, never shipped.
 *
 * PAGES: system memory in separately allocated chunks, mapped for importers
 *   with dma_map_sgtable(), so swiotlb=force and IOMMUs behave as for any
 *   page-backed exporter. mmap and vmap for filling and checking.
 * BAR: a window of the ivshmem-plain device's BAR2 (tests/vm/run --p2p-bar),
 *   exported page-less the way VRAM exporters do: sg entries carry only a
 *   bus address from dma_map_resource(), no struct page. An importer that
 *   calls sg_page() on them gets NULL. Stands in for GPU memory.
 *
 * Either shape can be dynamic (pin/unpin ops), and DBR_TEXP_IOC_MOVE sends
 * move_notify to the importers, so invalidation and remapping are testable
 * on kernels built without CONFIG_DMABUF_MOVE_NOTIFY.
 */
#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "dbr_test_exporter.h"

#define TEXP_IVSHMEM_VENDOR	0x1af4
#define TEXP_IVSHMEM_DEVICE	0x1110
#define TEXP_IVSHMEM_BAR	2
#define TEXP_MAX_PAGES		(1U << 20)	/* 4 GiB of 4 KiB pages */

/**
 * struct texp_buf - one exported buffer
 * @shape: DBR_TEXP_SHAPE_*
 * @flags: DBR_TEXP_*
 * @chunk_size: bytes per chunk
 * @nr_chunks: chunks
 * @chunks: PAGES: first page of each chunk, in memory order
 * @bar_phys: BAR: CPU physical address of the window
 */
struct texp_buf {
	u32		shape;
	u32		flags;
	size_t		chunk_size;
	unsigned int	nr_chunks;
	struct page	**chunks;
	phys_addr_t	bar_phys;
};

static struct {
	atomic_t buffers, attaches, detaches, maps, unmaps, pins, unpins, moves;
} texp_cnt;

static struct dentry *texp_debugfs;
static struct pci_dev *texp_ivshmem;	/* enabled on first BAR export */
static DEFINE_MUTEX(texp_ivshmem_lock);

/* Memory chunk backing token chunk @i. */
static unsigned int texp_chunk(const struct texp_buf *b, unsigned int i)
{
	return (b->flags & DBR_TEXP_REVERSE) ? b->nr_chunks - 1 - i : i;
}

/* ---- dma_buf_ops common to both shapes ---- */

static int texp_attach(struct dma_buf *dmabuf,
		       struct dma_buf_attachment *attach)
{
	struct texp_buf *b = dmabuf->priv;

	/* Device memory: only for importers that can reach a peer's BAR. */
	if (b->shape == DBR_TEXP_SHAPE_BAR && !attach->peer2peer)
		return -EOPNOTSUPP;
	atomic_inc(&texp_cnt.attaches);
	return 0;
}

static void texp_detach(struct dma_buf *dmabuf,
			struct dma_buf_attachment *attach)
{
	atomic_inc(&texp_cnt.detaches);
}

static int texp_pin(struct dma_buf_attachment *attach)
{
	atomic_inc(&texp_cnt.pins);
	return 0;
}

static void texp_unpin(struct dma_buf_attachment *attach)
{
	atomic_inc(&texp_cnt.unpins);
}

/* Frees a buffer, also a partly created one. */
static void texp_buf_free(struct texp_buf *b)
{
	unsigned int i;

	if (b->chunks) {
		for (i = 0; i < b->nr_chunks; i++)
			if (b->chunks[i])
				__free_pages(b->chunks[i],
					     get_order(b->chunk_size));
		kvfree(b->chunks);
	}
	kfree(b);
	atomic_dec(&texp_cnt.buffers);
}

static void texp_release(struct dma_buf *dmabuf)
{
	texp_buf_free(dmabuf->priv);
}

/* ---- PAGES ---- */

static struct sg_table *texp_pages_map(struct dma_buf_attachment *attach,
				       enum dma_data_direction dir)
{
	struct texp_buf *b = attach->dmabuf->priv;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	int ret;

	if (b->flags & DBR_TEXP_NOMAP)
		return ERR_PTR(-ENXIO);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, b->nr_chunks, GFP_KERNEL);
	if (ret)
		goto err_free;
	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, b->chunks[texp_chunk(b, i)], b->chunk_size, 0);
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	atomic_inc(&texp_cnt.maps);
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void texp_pages_unmap(struct dma_buf_attachment *attach,
			     struct sg_table *sgt, enum dma_data_direction dir)
{
	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	atomic_inc(&texp_cnt.unmaps);
}

static int texp_pages_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct texp_buf *b = dmabuf->priv;
	unsigned long addr = vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	int ret;

	dbr_compat_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	while (addr < vma->vm_end) {
		unsigned int i = off / b->chunk_size;
		size_t in = off % b->chunk_size;
		size_t n = min_t(u64, b->chunk_size - in, vma->vm_end - addr);
		struct page *p = b->chunks[texp_chunk(b, i)];

		ret = remap_pfn_range(vma, addr, page_to_pfn(p) + (in >> PAGE_SHIFT),
				      n, vma->vm_page_prot);
		if (ret)
			return ret;
		addr += n;
		off += n;
	}
	return 0;
}

static int texp_pages_vmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	struct texp_buf *b = dmabuf->priv;
	unsigned int per = b->chunk_size >> PAGE_SHIFT;
	unsigned int n = b->nr_chunks * per, i;
	struct page **pages;
	void *vaddr;

	pages = kvmalloc_array(n, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		pages[i] = b->chunks[texp_chunk(b, i / per)] + i % per;
	vaddr = vmap(pages, n, VM_MAP, PAGE_KERNEL);
	kvfree(pages);
	if (!vaddr)
		return -ENOMEM;
	iosys_map_set_vaddr(map, vaddr);
	return 0;
}

static void texp_pages_vunmap(struct dma_buf *dmabuf, struct iosys_map *map)
{
	vunmap(map->vaddr);
}

/* ---- BAR ---- */

static void texp_bar_unmap_entries(struct dma_buf_attachment *attach,
				   struct sg_table *sgt, unsigned int n,
				   enum dma_data_direction dir)
{
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (i >= n)
			break;
		dma_unmap_resource(attach->dev, sg_dma_address(sg),
				   sg_dma_len(sg), dir, 0);
	}
}

static struct sg_table *texp_bar_map(struct dma_buf_attachment *attach,
				     enum dma_data_direction dir)
{
	struct texp_buf *b = attach->dmabuf->priv;
	struct scatterlist *sg;
	struct sg_table *sgt;
	unsigned int i;
	int ret;

	if (b->flags & DBR_TEXP_NOMAP)
		return ERR_PTR(-ENXIO);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table(sgt, b->nr_chunks, GFP_KERNEL);
	if (ret)
		goto err_free;
	for_each_sgtable_sg(sgt, sg, i) {
		phys_addr_t phys = b->bar_phys +
				   (phys_addr_t)texp_chunk(b, i) * b->chunk_size;
		dma_addr_t dma;

		dma = dma_map_resource(attach->dev, phys, b->chunk_size, dir, 0);
		if (dma_mapping_error(attach->dev, dma)) {
			texp_bar_unmap_entries(attach, sgt, i, dir);
			ret = -EIO;
			goto err_table;
		}
		/* No page: only the DMA side of the entry is meaningful. */
		sg_set_page(sg, NULL, b->chunk_size, 0);
		sg_dma_address(sg) = dma;
		sg_dma_len(sg) = b->chunk_size;
	}
	atomic_inc(&texp_cnt.maps);
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void texp_bar_unmap(struct dma_buf_attachment *attach,
			   struct sg_table *sgt, enum dma_data_direction dir)
{
	texp_bar_unmap_entries(attach, sgt, sgt->nents, dir);
	sg_free_table(sgt);
	kfree(sgt);
	atomic_inc(&texp_cnt.unmaps);
}

static int texp_bar_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct texp_buf *b = dmabuf->priv;
	unsigned long addr = vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	int ret;

	dbr_compat_vm_flags_set(vma, VM_IO | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	while (addr < vma->vm_end) {
		unsigned int i = off / b->chunk_size;
		size_t in = off % b->chunk_size;
		size_t n = min_t(u64, b->chunk_size - in, vma->vm_end - addr);
		phys_addr_t phys = b->bar_phys +
				   (phys_addr_t)texp_chunk(b, i) * b->chunk_size + in;

		ret = io_remap_pfn_range(vma, addr, PHYS_PFN(phys), n,
					 vma->vm_page_prot);
		if (ret)
			return ret;
		addr += n;
		off += n;
	}
	return 0;
}

#define TEXP_OPS(name, shape, dyn)					\
static const struct dma_buf_ops name = {				\
	.attach		= texp_attach,					\
	.detach		= texp_detach,					\
	.pin		= dyn ? texp_pin : NULL,			\
	.unpin		= dyn ? texp_unpin : NULL,			\
	.map_dma_buf	= texp_##shape##_map,				\
	.unmap_dma_buf	= texp_##shape##_unmap,				\
	.release	= texp_release,					\
	.mmap		= texp_##shape##_mmap,				\
	TEXP_OPS_VMAP_##shape						\
}
#define TEXP_OPS_VMAP_pages	.vmap = texp_pages_vmap, .vunmap = texp_pages_vunmap,
#define TEXP_OPS_VMAP_bar

TEXP_OPS(texp_pages_ops, pages, false);
TEXP_OPS(texp_pages_dyn_ops, pages, true);
TEXP_OPS(texp_bar_ops, bar, false);
TEXP_OPS(texp_bar_dyn_ops, bar, true);

static bool texp_is_ours(struct dma_buf *dmabuf)
{
	return dmabuf->ops == &texp_pages_ops ||
	       dmabuf->ops == &texp_pages_dyn_ops ||
	       dmabuf->ops == &texp_bar_ops || dmabuf->ops == &texp_bar_dyn_ops;
}

/* ---- creation ---- */

static int texp_pages_alloc(struct texp_buf *b)
{
	unsigned int i;

	b->chunks = kvcalloc(b->nr_chunks, sizeof(*b->chunks), GFP_KERNEL);
	if (!b->chunks)
		return -ENOMEM;
	for (i = 0; i < b->nr_chunks; i++) {
		b->chunks[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO |
					   __GFP_NOWARN,
					   get_order(b->chunk_size));
		if (!b->chunks[i])
			return -ENOMEM;	/* texp_buf_free() frees the rest */
	}
	return 0;
}

static struct pci_dev *texp_get_ivshmem(void)
{
	struct pci_dev *pdev;

	mutex_lock(&texp_ivshmem_lock);
	if (!texp_ivshmem) {
		pdev = pci_get_device(TEXP_IVSHMEM_VENDOR, TEXP_IVSHMEM_DEVICE,
				      NULL);
		if (pdev && pci_enable_device_mem(pdev)) {
			pci_dev_put(pdev);
			pdev = NULL;
		}
		texp_ivshmem = pdev;
	}
	mutex_unlock(&texp_ivshmem_lock);
	return texp_ivshmem;
}

static int texp_bar_setup(struct texp_buf *b, u64 bar_offset)
{
	struct pci_dev *pdev = texp_get_ivshmem();
	u64 len = (u64)b->chunk_size * b->nr_chunks;

	if (!pdev)
		return -ENODEV;
	if (!PAGE_ALIGNED(bar_offset) ||
	    bar_offset >= pci_resource_len(pdev, TEXP_IVSHMEM_BAR) ||
	    len > pci_resource_len(pdev, TEXP_IVSHMEM_BAR) - bar_offset)
		return -ERANGE;
	b->bar_phys = pci_resource_start(pdev, TEXP_IVSHMEM_BAR) + bar_offset;
	return 0;
}

static long texp_create(void __user *argp)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp);
	struct dbr_texp_create arg;
	struct dma_buf *dmabuf;
	struct texp_buf *b;
	bool dyn;
	int ret, fd;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~DBR_TEXP_FLAGS_ALL) || arg.reserved ||
	    !arg.chunk_pages || !is_power_of_2(arg.chunk_pages) ||
	    !arg.nr_chunks || arg.chunk_pages > TEXP_MAX_PAGES ||
	    arg.nr_chunks > TEXP_MAX_PAGES / arg.chunk_pages)
		return -EINVAL;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	atomic_inc(&texp_cnt.buffers);
	b->shape = arg.shape;
	b->flags = arg.flags;
	b->chunk_size = (size_t)arg.chunk_pages << PAGE_SHIFT;
	b->nr_chunks = arg.nr_chunks;
	dyn = arg.flags & DBR_TEXP_DYNAMIC;

	switch (arg.shape) {
	case DBR_TEXP_SHAPE_PAGES:
		ret = arg.bar_offset ? -EINVAL : texp_pages_alloc(b);
		exp.ops = dyn ? &texp_pages_dyn_ops : &texp_pages_ops;
		break;
	case DBR_TEXP_SHAPE_BAR:
		ret = texp_bar_setup(b, arg.bar_offset);
		exp.ops = dyn ? &texp_bar_dyn_ops : &texp_bar_ops;
		break;
	default:
		ret = -EINVAL;
	}
	if (ret)
		goto err_release;

	exp.exp_name = DBR_TEXP_NAME;
	exp.size = b->chunk_size * b->nr_chunks;
	exp.flags = (arg.flags & DBR_TEXP_RDONLY) ? O_RDONLY : O_RDWR;
	exp.priv = b;
	dmabuf = dma_buf_export(&exp);
	if (IS_ERR(dmabuf)) {
		ret = PTR_ERR(dmabuf);
		goto err_release;
	}
	/* From here texp_release() runs when the last reference goes. */
	fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (fd < 0) {
		dma_buf_put(dmabuf);
		return fd;
	}
	arg.fd = fd;
	if (copy_to_user(argp, &arg, sizeof(arg)))
		return -EFAULT;	/* the fd stays installed, as for any ioctl */
	return 0;

err_release:
	texp_buf_free(b);
	return ret;
}

static long texp_move(void __user *argp)
{
	struct dbr_texp_move arg;
	struct dma_buf *dmabuf;
	int ret;

	if (copy_from_user(&arg, argp, sizeof(arg)))
		return -EFAULT;
	if (arg.flags)
		return -EINVAL;
	dmabuf = dma_buf_get(arg.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	if (!texp_is_ours(dmabuf)) {
		dma_buf_put(dmabuf);
		return -EINVAL;
	}
	ret = dma_resv_lock_interruptible(dmabuf->resv, NULL);
	if (!ret) {
		dbr_compat_dma_buf_invalidate_mappings(dmabuf);
		atomic_inc(&texp_cnt.moves);
		dma_resv_unlock(dmabuf->resv);
	}
	dma_buf_put(dmabuf);
	return ret;
}

static long texp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case DBR_TEXP_IOC_CREATE:
		return texp_create((void __user *)arg);
	case DBR_TEXP_IOC_MOVE:
		return texp_move((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations texp_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= texp_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice texp_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= DBR_TEXP_NAME,
	.fops	= &texp_fops,
	.mode	= 0600,
};

static void texp_debugfs_init(void)
{
	texp_debugfs = debugfs_create_dir(DBR_TEXP_NAME, NULL);
	debugfs_create_atomic_t("buffers", 0444, texp_debugfs, &texp_cnt.buffers);
	debugfs_create_atomic_t("attaches", 0444, texp_debugfs, &texp_cnt.attaches);
	debugfs_create_atomic_t("detaches", 0444, texp_debugfs, &texp_cnt.detaches);
	debugfs_create_atomic_t("maps", 0444, texp_debugfs, &texp_cnt.maps);
	debugfs_create_atomic_t("unmaps", 0444, texp_debugfs, &texp_cnt.unmaps);
	debugfs_create_atomic_t("pins", 0444, texp_debugfs, &texp_cnt.pins);
	debugfs_create_atomic_t("unpins", 0444, texp_debugfs, &texp_cnt.unpins);
	debugfs_create_atomic_t("moves", 0444, texp_debugfs, &texp_cnt.moves);
}

static int __init texp_init(void)
{
	int ret;

	texp_debugfs_init();
	ret = misc_register(&texp_misc);
	if (ret)
		debugfs_remove_recursive(texp_debugfs);
	return ret;
}

/* Live buffers hold a module reference (dma_buf_export() takes it). */
static void __exit texp_exit(void)
{
	misc_deregister(&texp_misc);
	debugfs_remove_recursive(texp_debugfs);
	if (texp_ivshmem) {
		pci_disable_device(texp_ivshmem);
		pci_dev_put(texp_ivshmem);
	}
}

module_init(texp_init);
module_exit(texp_exit);

MODULE_DESCRIPTION("dmabridge test-only dma-buf exporter");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DBR_COMPAT_NS_DMA_BUF);
