// SPDX-License-Identifier: MIT
/*
 * vk_errors: libdmabridge_vk's error paths on a real Vulkan device
 * (lavapipe): a memory type no device has, a device created without the
 * export extensions, a signal value going backwards, and, where the
 * driver cannot export a dma-buf (lavapipe without /dev/udmabuf), that
 * the failing call is named; where export works, the streamer's ordering:
 * once the semaphore reaches a signal's value, every read enqueued before
 * it is in the memory, as the host sees it (vkMapMemory) and as the GPU
 * sees it (a copy submitted before the reads, waiting for the value),
 * round after round.
 *
 *   vk_errors [--no-export] [--dir DIR]
 *
 * --no-export: export must be refused (the guest runs this in a mount
 * namespace whose /dev has no udmabuf); otherwise that is expected only
 * when /dev/udmabuf is missing. --dir DIR: the ordering runs on a file in
 * DIR twice, with libdmabridge's default (every byte must go direct: DIR
 * is on a dmabridge disk) and with the compat path forced; without it,
 * on a file in /tmp, with the compat path forced.
 * Each check prints "ok: ..." or "FAIL: ...".
 * Exit 0, 1 on a failure, 77 without a Vulkan device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dmabridge/dmabridge_vk.h>

static int failed;

#define CHECK(cond, ...) do { \
	if (cond) { printf("ok: "); } else { printf("FAIL: "); failed = 1; } \
	printf(__VA_ARGS__); printf("\n"); } while (0)

static VkDevice make_device(VkPhysicalDevice pd, int with_exts)
{
	unsigned int n;
	const char *const *exts = dmab_vk_device_extensions(&n);
	float prio = 1.0f;
	VkPhysicalDeviceVulkan12Features f12 = {
		.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
		.timelineSemaphore = VK_TRUE,
	};
	VkDeviceQueueCreateInfo qci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
		.queueCount = 1, .pQueuePriorities = &prio,
	};
	VkDeviceCreateInfo dci = {
		.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .pNext = &f12,
		.queueCreateInfoCount = 1, .pQueueCreateInfos = &qci,
		.enabledExtensionCount = with_exts ? n : 0,
		.ppEnabledExtensionNames = exts,
	};
	VkDevice dev = VK_NULL_HANDLE;

	return vkCreateDevice(pd, &dci, NULL, &dev) == VK_SUCCESS ? dev : VK_NULL_HANDLE;
}

/*
 * Rounds of 16 reads of 64 KiB from a 1 MiB window of a 2 MiB file (each
 * round's window one 64 KiB step further, so each round changes every
 * byte) and a signal of the round's number. Before the round's reads are
 * enqueued, a GPU copy of the memory that waits for that value is
 * submitted; once the host's wait for the value returns, the round's
 * bytes must be in place for the host, and the GPU's copy must hold them
 * too. direct: every byte must have gone the token path.
 */
static void ordering(struct dmab_ctx *ctx, VkPhysicalDevice pd, VkDevice dev,
		     const char *dir, int direct)
{
	const uint64_t sz = 1 << 20, piece = 64 << 10;
	const char *what = direct ? "direct" : "compat";
	char path[4096];
	struct dmab_vk_streamer *s = NULL;
	struct dmab_vk_stream_stats stats = { 0 };
	struct dmab_vk_status st = { 0 };
	struct dmab_vk_mem *m = NULL;
	struct dmab_file *f = NULL;
	unsigned char *data, *map = NULL, *rbmap = NULL;
	VkBuffer rb = VK_NULL_HANDLE;
	VkDeviceMemory rbmem = VK_NULL_HANDLE;
	VkCommandPool pool = VK_NULL_HANDLE;
	VkCommandBuffer cb = VK_NULL_HANDLE;
	VkFence fence = VK_NULL_HANDLE;
	VkQueue q;
	int fd, round, bad = 0, gpu_bad = 0;
	uint64_t i;

	snprintf(path, sizeof(path), "%s/vk_errors.XXXXXX", dir);
	fd = mkstemp(path);
	data = malloc(2 * sz);
	if (fd < 0 || !data) {
		CHECK(0, "ordering (%s): temp file in %s", what, dir);
		free(data);
		return;
	}
	for (i = 0; i < 2 * sz; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 16) * 7);
	vkGetDeviceQueue(dev, 0, 0, &q);
	{
		VkBufferCreateInfo bci = {
			.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = sz,
			.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT,
		};
		VkMemoryAllocateInfo mai = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
			.allocationSize = sz, .memoryTypeIndex = 0,
		};
		VkCommandPoolCreateInfo pci = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
			.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
		};
		VkCommandBufferAllocateInfo cai = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
			.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1,
		};
		VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
		VkMemoryRequirements mr;
		VkPhysicalDeviceMemoryProperties mp;

		/* lavapipe: one memory type, host-visible and device-local */
		vkGetPhysicalDeviceMemoryProperties(pd, &mp);
		if (write(fd, data, 2 * sz) != (ssize_t)(2 * sz) || fsync(fd) ||
		    dmab_file_open(ctx, path, O_RDONLY, 0, &f) ||
		    dmab_vk_mem_alloc(ctx, pd, dev, sz, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
				      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, DMAB_BUF_READ,
				      &m, &st) ||
		    vkMapMemory(dev, m->memory, 0, VK_WHOLE_SIZE, 0, (void **)&map) ||
		    dmab_vk_streamer_new(ctx, dev, 8, &s, &st) ||
		    vkCreateBuffer(dev, &bci, NULL, &rb)) {
			CHECK(0, "ordering (%s): set-up ('%s')", what, st.what);
			goto out;
		}
		vkGetBufferMemoryRequirements(dev, rb, &mr);
		mai.allocationSize = mr.size;
		while (mai.memoryTypeIndex < mp.memoryTypeCount &&
		       (!(mr.memoryTypeBits & 1U << mai.memoryTypeIndex) ||
			!(mp.memoryTypes[mai.memoryTypeIndex].propertyFlags &
			  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)))
			mai.memoryTypeIndex++;
		if (vkAllocateMemory(dev, &mai, NULL, &rbmem) ||
		    vkBindBufferMemory(dev, rb, rbmem, 0) ||
		    vkMapMemory(dev, rbmem, 0, VK_WHOLE_SIZE, 0, (void **)&rbmap) ||
		    vkCreateCommandPool(dev, &pci, NULL, &pool) ||
		    (cai.commandPool = pool, vkAllocateCommandBuffers(dev, &cai, &cb)) ||
		    vkCreateFence(dev, &fci, NULL, &fence)) {
			CHECK(0, "ordering (%s): the GPU side's set-up", what);
			goto out;
		}
	}
	for (round = 1; round <= 8 && !bad; round++) {
		uint64_t shift = (uint64_t)(round % 16) * piece, value = (uint64_t)round;
		VkSemaphore sem = dmab_vk_streamer_semaphore(s);
		VkCommandBufferBeginInfo bi = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
			.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
		};
		VkBufferMemoryBarrier acq = dmab_vk_acquire_barrier(m, 0, VK_WHOLE_SIZE, 0,
								     VK_ACCESS_TRANSFER_READ_BIT);
		VkBufferMemoryBarrier rel = {
			.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_READ_BIT,
			.srcQueueFamilyIndex = 0,
			.dstQueueFamilyIndex = VK_QUEUE_FAMILY_FOREIGN_EXT,
			.buffer = m->buffer, .size = VK_WHOLE_SIZE,
		};
		VkMemoryBarrier host = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
		};
		VkBufferCopy c = { 0, 0, sz };
		VkPipelineStageFlags stage = VK_PIPELINE_STAGE_TRANSFER_BIT;
		VkTimelineSemaphoreSubmitInfo ts = {
			.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
			.waitSemaphoreValueCount = 1, .pWaitSemaphoreValues = &value,
		};
		VkSubmitInfo si = {
			.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .pNext = &ts,
			.waitSemaphoreCount = 1, .pWaitSemaphores = &sem,
			.pWaitDstStageMask = &stage,
			.commandBufferCount = 1, .pCommandBuffers = &cb,
		};

		/* the GPU's copy waits for the value before the reads exist */
		memset(rbmap, 0, sz);
		if (vkResetFences(dev, 1, &fence) || vkResetCommandBuffer(cb, 0) ||
		    vkBeginCommandBuffer(cb, &bi)) {
			bad = 1;
			break;
		}
		vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
				     VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, NULL, 1, &acq, 0, NULL);
		vkCmdCopyBuffer(cb, m->buffer, rb, 1, &c);
		vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT,
				     VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
				     0, 1, &host, 1, &rel, 0, NULL);
		if (vkEndCommandBuffer(cb) || vkQueueSubmit(q, 1, &si, fence)) {
			bad = 1;
			break;
		}
		for (i = 0; i < sz; i += piece)
			if (dmab_vk_streamer_read(s, f, m->buf, i, shift + i, piece, i))
				bad = 1;
		if (bad || dmab_vk_streamer_signal(s, value) ||
		    dmab_vk_streamer_wait(s, value, 30ULL * 1000000000ULL)) {
			bad = 1;
			break;
		}
		if (memcmp(map, data + shift, sz))
			bad = 2;
		if (vkWaitForFences(dev, 1, &fence, VK_TRUE, 30ULL * 1000000000ULL)) {
			bad = 1;
			break;
		}
		if (memcmp(rbmap, data + shift, sz))
			gpu_bad = 1;
	}
	dmab_vk_streamer_stats(s, &stats);
	CHECK(!bad, "ordering (%s): 8 rounds, each round's bytes in place for the host "
	      "once its value is reached (%s)", what,
	      bad == 2 ? "bytes missing" : bad ? "call failed" : "ok");
	CHECK(!bad && !gpu_bad, "ordering (%s): the GPU's copy, submitted before the "
	      "reads and waiting for the value, saw each round's bytes (%s)", what,
	      gpu_bad ? "bytes missing" : bad ? "not run" : "ok");
	CHECK(!stats.failed && stats.bytes == 8 * sz &&
	      (direct ? stats.direct_bytes == 8 * sz : stats.compat_bytes == 8 * sz),
	      "ordering (%s): %llu bytes read, %llu direct, %llu compat, %u failed", what,
	      (unsigned long long)stats.bytes, (unsigned long long)stats.direct_bytes,
	      (unsigned long long)stats.compat_bytes, stats.failed);
out:
	if (s)
		dmab_vk_streamer_free(s);
	if (fence)
		vkDestroyFence(dev, fence, NULL);
	if (pool)
		vkDestroyCommandPool(dev, pool, NULL);
	if (rb)
		vkDestroyBuffer(dev, rb, NULL);
	if (rbmem)
		vkFreeMemory(dev, rbmem, NULL);
	if (map)
		vkUnmapMemory(dev, m->memory);
	dmab_vk_mem_free(m);
	if (f)
		dmab_file_close(f);
	close(fd);
	unlink(path);
	free(data);
}

int main(int argc, char **argv)
{
	VkApplicationInfo ai = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.apiVersion = VK_API_VERSION_1_3,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &ai,
	};
	const VkBufferUsageFlags usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
	struct dmab_ctx_opts o = { .size = sizeof(o), .set = DMAB_OPT_COMPAT,
				   .compat = DMAB_COMPAT_ON };
	struct dmab_ctx_opts o_auto = { .size = sizeof(o) };
	const char *dir = NULL;
	int no_export, i;
	struct dmab_vk_status st = { 0 };
	struct dmab_vk_streamer *s = NULL;
	struct dmab_vk_mem *m = NULL;
	struct dmab_ctx *ctx, *ctx_auto;
	VkPhysicalDevice pd;
	VkInstance inst;
	VkDevice dev, bare;
	uint32_t n = 1;
	int ret;

	no_export = access("/dev/udmabuf", F_OK) != 0;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-export")) {
			no_export = 1;
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			dir = argv[++i];
		} else {
			fprintf(stderr, "usage: vk_errors [--no-export] [--dir DIR]\n");
			return 2;
		}
	}
	if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS ||
	    vkEnumeratePhysicalDevices(inst, &n, &pd) < 0 || !n) {
		printf("SKIP: no Vulkan device\n");
		return 77;
	}
	if (dmab_ctx_new(&o, &ctx) || dmab_ctx_new(&o_auto, &ctx_auto))
		return 1;
	dev = make_device(pd, 1);
	bare = make_device(pd, 0);
	if (!dev || !bare) {
		printf("SKIP: the device lacks the dma-buf extensions\n");
		return 77;
	}

	CHECK(dmab_vk_errno(VK_ERROR_OUT_OF_DEVICE_MEMORY) == -ENOSPC &&
	      !strcmp(dmab_vk_result_name(VK_ERROR_DEVICE_LOST), "VK_ERROR_DEVICE_LOST"),
	      "VkResult -> errno and name");

	ret = dmab_vk_mem_alloc(ctx, pd, dev, 1 << 16, usage, 0, DMAB_BUF_READ, &m, &st);
	if (no_export) {
		/* lavapipe exports through udmabuf: without it, no export */
		CHECK(ret == -EOPNOTSUPP && strstr(st.what, "not exportable as dma-bufs"),
		      "no /dev/udmabuf, lavapipe cannot export: %d, '%s'", ret, st.what);
		if (!ret)
			dmab_vk_mem_free(m);
	} else {
		CHECK(ret == 0 && m->dmabuf_fd >= 0 && m->buf,
		      "exportable memory: %d, '%s'", ret, st.what);
		dmab_vk_mem_free(m);
		ret = dmab_vk_mem_alloc(ctx, pd, dev, 1 << 16, usage,
					VK_MEMORY_PROPERTY_PROTECTED_BIT, DMAB_BUF_READ,
					&m, &st);
		CHECK(ret == -EOPNOTSUPP && strstr(st.what, "no memory type"),
		      "wrong memory type: %d, '%s'", ret, st.what);
		ret = dmab_vk_mem_alloc(ctx, pd, bare, 1 << 16, usage, 0,
					DMAB_BUF_READ, &m, &st);
		CHECK(ret == -EOPNOTSUPP && strstr(st.what, "vkGetMemoryFdKHR"),
		      "device without VK_KHR_external_memory_fd: %d, '%s'", ret,
		      st.what);
		if (dir)
			ordering(ctx_auto, pd, dev, dir, 1);
		ordering(ctx, pd, dev, dir ? dir : "/tmp", 0);
	}

	ret = dmab_vk_streamer_new(ctx, dev, 4, &s, &st);
	CHECK(ret == 0, "streamer: %d '%s'", ret, ret ? st.what : "");
	if (s) {
		CHECK(dmab_vk_streamer_signal(s, 2) == 0, "signal 2");
		ret = dmab_vk_streamer_signal(s, 1);
		CHECK(ret == -EINVAL, "signal 1 after 2 (backwards): %d", ret);
		ret = dmab_vk_streamer_signal(s, 2);
		CHECK(ret == -EINVAL, "signal 2 again: %d", ret);
		ret = dmab_vk_streamer_wait(s, 2, 10ULL * 1000000000ULL);
		CHECK(ret == 0, "semaphore reaches 2 with nothing before it: %d", ret);
		ret = dmab_vk_streamer_wait(s, 3, 1000000);
		CHECK(ret == -ETIMEDOUT, "value 3 never signalled: %d", ret);
		CHECK(dmab_vk_streamer_free(s) == 0, "streamer freed");
	}
	vkDestroyDevice(bare, NULL);
	vkDestroyDevice(dev, NULL);
	vkDestroyInstance(inst, NULL);
	dmab_ctx_free(ctx);
	dmab_ctx_free(ctx_auto);
	return failed;
}
