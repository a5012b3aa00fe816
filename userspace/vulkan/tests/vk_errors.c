// SPDX-License-Identifier: MIT
/*
 * vk_errors: libdmabridge_vk's error paths on a real Vulkan device
 * (lavapipe): a memory type no device has, a device created without the
 * export extensions, a signal value going backwards, and, where the
 * driver cannot export a dma-buf (lavapipe without /dev/udmabuf), that
 * the failing call is named; where export works, the streamer's ordering:
 * once the semaphore reaches a signal's value, every read enqueued before
 * it is in the memory (checked through vkMapMemory, round after round).
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
 * Rounds of 16 reads of 64 KiB from a 1 MiB file (each round shifted by
 * one 64 KiB step, so each round changes every byte) and a signal; the
 * host waits on the semaphore and must find the round's bytes in place.
 */
static void ordering(struct dmab_ctx *ctx, VkPhysicalDevice pd, VkDevice dev)
{
	const uint64_t sz = 1 << 20, piece = 64 << 10;
	char path[] = "/tmp/vk_errors.XXXXXX";
	struct dmab_vk_streamer *s = NULL;
	struct dmab_vk_status st = { 0 };
	struct dmab_vk_mem *m = NULL;
	struct dmab_file *f = NULL;
	unsigned char *data, *map = NULL;
	int fd, round, bad = 0;
	uint64_t i;

	fd = mkstemp(path);
	data = malloc(2 * sz);
	if (fd < 0 || !data) {
		CHECK(0, "ordering: temp file");
		return;
	}
	for (i = 0; i < 2 * sz; i++)
		data[i] = (unsigned char)(i * 131 + (i >> 16) * 7);
	if (write(fd, data, 2 * sz) != (ssize_t)(2 * sz) ||
	    dmab_file_open(ctx, path, O_RDONLY, 0, &f) ||
	    dmab_vk_mem_alloc(ctx, pd, dev, sz, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
			      VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, DMAB_BUF_READ, &m, &st) ||
	    vkMapMemory(dev, m->memory, 0, VK_WHOLE_SIZE, 0, (void **)&map) != VK_SUCCESS ||
	    dmab_vk_streamer_new(ctx, dev, 8, &s, &st)) {
		CHECK(0, "ordering: set-up ('%s')", st.what);
		goto out;
	}
	for (round = 1; round <= 8 && !bad; round++) {
		uint64_t shift = (uint64_t)(round % 16) * piece;

		for (i = 0; i < sz; i += piece)
			if (dmab_vk_streamer_read(s, f, m->buf, i, shift + i, piece, i))
				bad = 1;
		if (bad || dmab_vk_streamer_signal(s, (uint64_t)round) ||
		    dmab_vk_streamer_wait(s, (uint64_t)round, 30ULL * 1000000000ULL)) {
			bad = 1;
			break;
		}
		if (memcmp(map, data + shift, sz))
			bad = 2;
	}
	CHECK(!bad, "ordering: 8 rounds, each round's bytes in place once its "
	      "value is reached (%s)", bad == 2 ? "bytes missing" : bad ? "call failed" : "ok");
out:
	if (s)
		dmab_vk_streamer_free(s);
	if (map)
		vkUnmapMemory(dev, m->memory);
	dmab_vk_mem_free(m);
	if (f)
		dmab_file_close(f);
	close(fd);
	unlink(path);
	free(data);
}

int main(void)
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
	struct dmab_vk_status st = { 0 };
	struct dmab_vk_streamer *s = NULL;
	struct dmab_vk_mem *m = NULL;
	struct dmab_ctx *ctx;
	VkPhysicalDevice pd;
	VkInstance inst;
	VkDevice dev, bare;
	uint32_t n = 1;
	int ret;

	if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS ||
	    vkEnumeratePhysicalDevices(inst, &n, &pd) < 0 || !n) {
		printf("SKIP: no Vulkan device\n");
		return 77;
	}
	if (dmab_ctx_new(&o, &ctx))
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
	if (access("/dev/udmabuf", F_OK)) {
		/* lavapipe exports through udmabuf: without it, no export */
		CHECK(ret == -EOPNOTSUPP && strstr(st.what, "not exportable as dma-bufs"),
		      "no /dev/udmabuf, lavapipe cannot export: %d, '%s'", ret, st.what);
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
		ordering(ctx, pd, dev);
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
	return failed;
}
