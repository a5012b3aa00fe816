/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Vulkan through dlopen("libvulkan.so.1"): the command neither links nor
 * needs libvulkan. vk_probe() lists the physical devices and whether each
 * can export memory as a dma-buf (VK_KHR_external_memory_fd and
 * VK_EXT_external_memory_dma_buf); vk_mem_new() allocates exportable
 * memory on the first that can (device-local where exportable) and
 * returns its dma-buf.
 */
#ifndef DMABRIDGE_CLI_VK_H
#define DMABRIDGE_CLI_VK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vk_dev {
	char name[128];
	char type[16];		/* discrete, integrated, virtual, cpu, other */
	uint32_t vendor, device;
	bool dmabuf_export;
	char why[128];		/* the missing extension when it cannot */
};

/* 0 and the devices, -ENOENT when there is no libvulkan, -errno; err says */
int vk_probe(struct vk_dev *devs, unsigned int max, unsigned int *n,
	     char *err, size_t errlen);

struct vk_mem;
int vk_mem_new(uint64_t size, struct vk_mem **mem, int *dmabuf_fd,
	       char *desc, size_t desclen, char *err, size_t errlen);
/* the memory mapped by Vulkan when it is host-visible, else NULL */
void *vk_mem_map(struct vk_mem *mem);
void vk_mem_free(struct vk_mem *mem);

#endif
