// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libdmabridge_vk: exportable Vulkan memory registered with libdmabridge,
 * and the streamer (a libdmabridge queue whose signals reach a Vulkan
 * timeline semaphore from a completion thread). dmabridge_vk.h.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dmabridge/dmabridge_vk.h>

#define DMAB_VK_DMABUF VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT

int dmab_vk_errno(VkResult r)
{
	switch (r) {
	case VK_SUCCESS: return 0;
	case VK_TIMEOUT: return -ETIMEDOUT;
	case VK_NOT_READY: return -EAGAIN;
	case VK_ERROR_OUT_OF_HOST_MEMORY: return -ENOMEM;
	case VK_ERROR_OUT_OF_DEVICE_MEMORY: return -ENOSPC;
	case VK_ERROR_DEVICE_LOST: return -ENODEV;
	case VK_ERROR_EXTENSION_NOT_PRESENT:
	case VK_ERROR_FEATURE_NOT_PRESENT:
	case VK_ERROR_FORMAT_NOT_SUPPORTED: return -EOPNOTSUPP;
	case VK_ERROR_INCOMPATIBLE_DRIVER: return -ENXIO;
	case VK_ERROR_INVALID_EXTERNAL_HANDLE: return -EBADF;
	case VK_ERROR_TOO_MANY_OBJECTS: return -EMFILE;
	case VK_ERROR_INITIALIZATION_FAILED: return -EIO;
	default: return -EIO;
	}
}

const char *dmab_vk_result_name(VkResult r)
{
	switch (r) {
#define N(x) case x: return #x
	N(VK_SUCCESS); N(VK_NOT_READY); N(VK_TIMEOUT); N(VK_INCOMPLETE);
	N(VK_ERROR_OUT_OF_HOST_MEMORY); N(VK_ERROR_OUT_OF_DEVICE_MEMORY);
	N(VK_ERROR_INITIALIZATION_FAILED); N(VK_ERROR_DEVICE_LOST);
	N(VK_ERROR_MEMORY_MAP_FAILED); N(VK_ERROR_LAYER_NOT_PRESENT);
	N(VK_ERROR_EXTENSION_NOT_PRESENT); N(VK_ERROR_FEATURE_NOT_PRESENT);
	N(VK_ERROR_INCOMPATIBLE_DRIVER); N(VK_ERROR_TOO_MANY_OBJECTS);
	N(VK_ERROR_FORMAT_NOT_SUPPORTED); N(VK_ERROR_INVALID_EXTERNAL_HANDLE);
	N(VK_ERROR_UNKNOWN);
#undef N
	default: return "VK_ERROR_(unnamed)";
	}
}

static int status(struct dmab_vk_status *st, int err, VkResult r,
		  const char *fmt, ...)
{
	va_list ap;

	if (st) {
		st->error = err;
		st->result = r;
		va_start(ap, fmt);
		vsnprintf(st->what, sizeof(st->what), fmt, ap);
		va_end(ap);
	}
	return err;
}

/* A failed Vulkan call: its name and result, mapped to an errno. */
static int vk_fail(struct dmab_vk_status *st, const char *call, VkResult r)
{
	return status(st, dmab_vk_errno(r), r, "%s: %s", call,
		      dmab_vk_result_name(r));
}

static const char *const dmab_vk_exts[] = {
	VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
	VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
	VK_EXT_QUEUE_FAMILY_FOREIGN_EXTENSION_NAME,
	NULL,
};

const char *const *dmab_vk_device_extensions(unsigned int *count)
{
	if (count)
		*count = 3;
	return dmab_vk_exts;
}

int dmab_vk_check_export(VkPhysicalDevice pd, VkBufferUsageFlags usage,
			 struct dmab_vk_status *st)
{
	VkPhysicalDeviceExternalBufferInfo info = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO,
		.usage = usage,
		.handleType = DMAB_VK_DMABUF,
	};
	VkExternalBufferProperties props = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES,
	};
	uint32_t n = 0, i;
	VkExtensionProperties *ext;
	int found = 0;

	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS)
		return status(st, -EIO, VK_ERROR_UNKNOWN,
			      "vkEnumerateDeviceExtensionProperties failed");
	ext = calloc(n ? n : 1, sizeof(*ext));
	if (!ext)
		return status(st, -ENOMEM, VK_SUCCESS, "out of memory");
	vkEnumerateDeviceExtensionProperties(pd, NULL, &n, ext);
	for (const char *const *e = dmab_vk_exts; *e; e++) {
		found = 0;
		for (i = 0; i < n; i++)
			found |= !strcmp(ext[i].extensionName, *e);
		if (!found) {
			free(ext);
			return status(st, -EOPNOTSUPP, VK_ERROR_EXTENSION_NOT_PRESENT,
				      "the device lacks %s", *e);
		}
	}
	free(ext);
	vkGetPhysicalDeviceExternalBufferProperties(pd, &info, &props);
	if (!(props.externalMemoryProperties.externalMemoryFeatures &
	      VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT))
		return status(st, -EOPNOTSUPP, VK_SUCCESS,
			      "vkGetPhysicalDeviceExternalBufferProperties: buffers "
			      "with usage 0x%x are not exportable as dma-bufs", usage);
	return status(st, 0, VK_SUCCESS, "ok");
}

static int pick_type(VkPhysicalDevice pd, uint32_t bits,
		     VkMemoryPropertyFlags props)
{
	VkPhysicalDeviceMemoryProperties mp;
	uint32_t i;

	vkGetPhysicalDeviceMemoryProperties(pd, &mp);
	for (i = 0; i < mp.memoryTypeCount; i++)
		if ((bits & (1U << i)) &&
		    (mp.memoryTypes[i].propertyFlags & props) == props)
			return (int)i;
	return -1;
}

void dmab_vk_mem_free(struct dmab_vk_mem *m)
{
	if (!m)
		return;
	if (m->buf)
		dmab_buf_unregister(m->buf);
	if (m->dmabuf_fd >= 0)
		close(m->dmabuf_fd);
	if (m->buffer)
		vkDestroyBuffer(m->device, m->buffer, NULL);
	if (m->memory)
		vkFreeMemory(m->device, m->memory, NULL);
	free(m);
}

/* dedicated: whether the driver prefers or requires its own allocation */
static int buffer_reqs(VkDevice dev, VkBuffer b, VkMemoryRequirements *mr)
{
	VkMemoryDedicatedRequirements ded = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_REQUIREMENTS,
	};
	VkMemoryRequirements2 mr2 = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2, .pNext = &ded,
	};
	VkBufferMemoryRequirementsInfo2 info = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_REQUIREMENTS_INFO_2,
		.buffer = b,
	};

	vkGetBufferMemoryRequirements2(dev, &info, &mr2);
	*mr = mr2.memoryRequirements;
	return ded.prefersDedicatedAllocation || ded.requiresDedicatedAllocation;
}

/*
 * Mesa's CPU drivers (lavapipe) export their memory as udmabufs, which the
 * udmabuf module limits to size_limit_mb (64 MiB by default): say so when
 * an allocation above it fails.
 */
static void udmabuf_hint(VkPhysicalDevice pd, VkDeviceSize size,
			 struct dmab_vk_status *st)
{
	VkPhysicalDeviceDriverProperties drv = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
	};
	VkPhysicalDeviceProperties2 p2 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &drv,
	};
	FILE *f;
	unsigned long mb = 0;
	size_t n;

	if (!st)
		return;
	vkGetPhysicalDeviceProperties2(pd, &p2);
	if (drv.driverID != VK_DRIVER_ID_MESA_LLVMPIPE)
		return;
	f = fopen("/sys/module/udmabuf/parameters/size_limit_mb", "r");
	if (!f)
		return;
	if (fscanf(f, "%lu", &mb) != 1)
		mb = 0;
	fclose(f);
	n = strlen(st->what);
	if (mb && size > (VkDeviceSize)mb << 20)
		snprintf(st->what + n, sizeof(st->what) - n,
			 " (lavapipe's udmabufs: size_limit_mb=%lu)", mb);
}

int dmab_vk_mem_alloc(struct dmab_ctx *ctx, VkPhysicalDevice pd,
		      VkDevice dev, VkDeviceSize size,
		      VkBufferUsageFlags usage, VkMemoryPropertyFlags props,
		      unsigned int dmab_flags, struct dmab_vk_mem **memp,
		      struct dmab_vk_status *st)
{
	VkExternalMemoryBufferCreateInfo ext = {
		.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
		.handleTypes = DMAB_VK_DMABUF,
	};
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = &ext,
		.size = size, .usage = usage,
		.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
	};
	VkMemoryDedicatedAllocateInfo ded = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
	};
	VkExportMemoryAllocateInfo exp = {
		.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
		.handleTypes = DMAB_VK_DMABUF,
	};
	VkMemoryAllocateInfo mai = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &exp,
	};
	VkMemoryGetFdInfoKHR gfi = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
		.handleType = DMAB_VK_DMABUF,
	};
	PFN_vkGetMemoryFdKHR get_fd;
	VkMemoryRequirements mr;
	struct dmab_vk_mem *m;
	VkResult r;
	int type, ret;

	if (!ctx || !pd || !dev || !size || !memp)
		return status(st, -EINVAL, VK_SUCCESS, "dmab_vk_mem_alloc: bad argument");
	ret = dmab_vk_check_export(pd, usage, st);
	if (ret)
		return ret;
	get_fd = (PFN_vkGetMemoryFdKHR)vkGetDeviceProcAddr(dev, "vkGetMemoryFdKHR");
	if (!get_fd)
		return status(st, -EOPNOTSUPP, VK_ERROR_EXTENSION_NOT_PRESENT,
			      "vkGetDeviceProcAddr(vkGetMemoryFdKHR): NULL "
			      "(VK_KHR_external_memory_fd not enabled on the device)");
	m = calloc(1, sizeof(*m));
	if (!m)
		return status(st, -ENOMEM, VK_SUCCESS, "out of memory");
	m->device = dev;
	m->dmabuf_fd = -1;
	m->size = size;
	r = vkCreateBuffer(dev, &bci, NULL, &m->buffer);
	if (r != VK_SUCCESS) {
		ret = vk_fail(st, "vkCreateBuffer", r);
		goto free_mem;
	}
	m->dedicated = buffer_reqs(dev, m->buffer, &mr);
	type = pick_type(pd, mr.memoryTypeBits, props);
	if (type < 0) {
		ret = status(st, -EOPNOTSUPP, VK_SUCCESS,
			     "vkGetBufferMemoryRequirements2: no memory type of "
			     "0x%x has properties 0x%x", mr.memoryTypeBits, props);
		goto free_mem;
	}
	m->memory_type = (uint32_t)type;
	if (m->dedicated) {
		ded.buffer = m->buffer;
		exp.pNext = &ded;
	}
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = m->memory_type;
	r = vkAllocateMemory(dev, &mai, NULL, &m->memory);
	if (r != VK_SUCCESS) {
		ret = vk_fail(st, "vkAllocateMemory(exportable as dma-buf)", r);
		udmabuf_hint(pd, mr.size, st);
		goto free_mem;
	}
	r = vkBindBufferMemory(dev, m->buffer, m->memory, 0);
	if (r != VK_SUCCESS) {
		ret = vk_fail(st, "vkBindBufferMemory", r);
		goto free_mem;
	}
	gfi.memory = m->memory;
	r = get_fd(dev, &gfi, &m->dmabuf_fd);
	if (r != VK_SUCCESS) {
		m->dmabuf_fd = -1;
		ret = vk_fail(st, "vkGetMemoryFdKHR(DMA_BUF)", r);
		goto free_mem;
	}
	ret = dmab_buf_register(ctx, m->dmabuf_fd, 0, size, dmab_flags, &m->buf);
	if (ret) {
		m->buf = NULL;
		status(st, ret, VK_SUCCESS, "dmab_buf_register: %s", strerror(-ret));
		goto free_mem;
	}
	*memp = m;
	return status(st, 0, VK_SUCCESS, "ok");
free_mem:
	dmab_vk_mem_free(m);
	return ret;
}

VkBufferMemoryBarrier dmab_vk_acquire_barrier(const struct dmab_vk_mem *mem,
					      VkDeviceSize offset,
					      VkDeviceSize size,
					      uint32_t queue_family,
					      VkAccessFlags dst_access)
{
	return (VkBufferMemoryBarrier){
		.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
		.srcAccessMask = 0,
		.dstAccessMask = dst_access,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
		.dstQueueFamilyIndex = queue_family,
		.buffer = mem->buffer,
		.offset = offset,
		.size = size,
	};
}
