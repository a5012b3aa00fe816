/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libdmabridge_vk: Vulkan memory as the destination of libdmabridge reads.
 *
 *  - dmab_vk_mem_alloc(): a VkBuffer on memory allocated exportable as a
 *    dma-buf (VK_EXT_external_memory_dma_buf, VkExportMemoryAllocateInfo,
 *    a dedicated allocation when the driver asks for one), exported with
 *    vkGetMemoryFdKHR and registered with libdmabridge;
 *  - a streamer: a libdmabridge queue driven by a completion thread that
 *    signals a Vulkan timeline semaphore (vkSignalSemaphore) with the value
 *    of each library signal as it completes, so GPU submissions wait for
 *    file data without a CPU copy and without stalling the render thread.
 *
 * The device must have been created with VK_KHR_external_memory_fd,
 * VK_EXT_external_memory_dma_buf and VK_EXT_queue_family_foreign enabled
 * and the timelineSemaphore feature (Vulkan 1.2+);
 * dmab_vk_device_extensions() lists the extensions.
 *
 * Ownership: memory filled by the streamer was written by a foreign agent
 * (the NVMe controller or the library's CPU copy). Before the first use
 * after a wait on the semaphore, the caller's command buffer acquires the
 * buffer from VK_QUEUE_FAMILY_FOREIGN_EXT (dmab_vk_acquire_barrier() fills
 * the VkBufferMemoryBarrier).
 *
 * Errors: functions return 0 or a negative errno and never abort. A failing
 * Vulkan call's VkResult is mapped to an errno (dmab_vk_errno()) and the
 * call's name and result are left in the struct dmab_vk_status the caller
 * passes (optional: NULL).
 */
#ifndef DMABRIDGE_DMABRIDGE_VK_H
#define DMABRIDGE_DMABRIDGE_VK_H

#include <stdint.h>
#include <vulkan/vulkan.h>
#include <dmabridge/dmabridge.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dmab_vk_status {
	int error;		/* -errno; 0: none */
	VkResult result;	/* the Vulkan call's result, VK_SUCCESS if none */
	char what[160];		/* the failing call and why, human readable */
};

int dmab_vk_errno(VkResult r);
const char *dmab_vk_result_name(VkResult r);
/* the device extensions libdmabridge_vk needs, NULL-terminated */
const char *const *dmab_vk_device_extensions(unsigned int *count);

/*
 * Is dma-buf export of buffers with usage possible on pd? 0, or -EOPNOTSUPP
 * with the reason in st.
 */
int dmab_vk_check_export(VkPhysicalDevice pd, VkBufferUsageFlags usage,
			 struct dmab_vk_status *st);

struct dmab_vk_mem {
	VkDevice device;
	VkBuffer buffer;	/* covers the whole allocation */
	VkDeviceMemory memory;
	VkDeviceSize size;
	uint32_t memory_type;
	int dedicated;		/* the driver asked for a dedicated allocation */
	int dmabuf_fd;		/* the exported dma-buf (owned by the mem) */
	struct dmab_buf *buf;	/* registered with libdmabridge */
};

/*
 * Allocate size bytes of memory exportable as a dma-buf with a buffer of
 * usage on it, among the memory types with all of props, export it and
 * register it with ctx for dmab_flags (DMAB_BUF_READ, DMAB_BUF_WRITE).
 */
int dmab_vk_mem_alloc(struct dmab_ctx *ctx, VkPhysicalDevice pd,
		      VkDevice dev, VkDeviceSize size,
		      VkBufferUsageFlags usage, VkMemoryPropertyFlags props,
		      unsigned int dmab_flags, struct dmab_vk_mem **memp,
		      struct dmab_vk_status *st);
void dmab_vk_mem_free(struct dmab_vk_mem *mem);

/* A barrier acquiring [offset, offset + size) from the foreign queue family. */
VkBufferMemoryBarrier dmab_vk_acquire_barrier(const struct dmab_vk_mem *mem,
					      VkDeviceSize offset,
					      VkDeviceSize size,
					      uint32_t queue_family,
					      VkAccessFlags dst_access);

struct dmab_vk_streamer;

/* A streamer on ctx with a queue of depth entries (0: the context's). */
int dmab_vk_streamer_new(struct dmab_ctx *ctx, VkDevice dev,
			 unsigned int depth, struct dmab_vk_streamer **sp,
			 struct dmab_vk_status *st);
/* The timeline semaphore (initial value 0), owned by the streamer. */
VkSemaphore dmab_vk_streamer_semaphore(const struct dmab_vk_streamer *s);
/* Enqueue a read of len bytes at file_off into buf at buf_off. */
int dmab_vk_streamer_read(struct dmab_vk_streamer *s, struct dmab_file *file,
			  struct dmab_buf *buf, uint64_t buf_off,
			  uint64_t file_off, uint64_t len, uint64_t tag);
/*
 * Enqueue a signal: the semaphore reaches value once every read enqueued
 * before has completed. Values must increase (-EINVAL otherwise).
 */
int dmab_vk_streamer_signal(struct dmab_vk_streamer *s, uint64_t value);
/* Wait on the host for the semaphore to reach value (timeout in ns). */
int dmab_vk_streamer_wait(struct dmab_vk_streamer *s, uint64_t value,
			  uint64_t timeout_ns);

struct dmab_vk_stream_stats {
	uint64_t bytes, direct_bytes, compat_bytes;
	uint32_t reads, failed;
	uint32_t reasons;	/* 1 << reason of every compat piece */
	struct dmab_queue_error error;	/* the first failure */
};

/*
 * What the streamer has completed so far (call after a wait). The first
 * failed read also sets the semaphore's waiters free (the signal after it
 * still completes); check failed before using the data.
 */
int dmab_vk_streamer_stats(struct dmab_vk_streamer *s,
			   struct dmab_vk_stream_stats *stats);
/*
 * Called on the completion thread for every record (reads and signals),
 * before a signal's value reaches the semaphore. Set before enqueueing.
 */
typedef void (*dmab_vk_completion_fn)(void *arg,
				      const struct dmab_completion *c);
void dmab_vk_streamer_set_callback(struct dmab_vk_streamer *s,
				   dmab_vk_completion_fn fn, void *arg);
/* Stop the thread (after the queue drains) and free everything. */
int dmab_vk_streamer_free(struct dmab_vk_streamer *s);

#ifdef __cplusplus
}
#endif

#endif /* DMABRIDGE_DMABRIDGE_VK_H */
