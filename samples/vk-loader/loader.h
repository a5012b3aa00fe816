/* SPDX-License-Identifier: MIT */
/* vk-loader: all state in one struct (main.c, gpu.c). */
#ifndef VK_LOADER_H
#define VK_LOADER_H
#include <stdio.h>
#include <pthread.h>
#include <vulkan/vulkan.h>
#include <dmabridge/dmabridge.h>
#include <dmabridge/dmabridge_vk.h>
#include "ktx2.h"

enum mode { MODE_DIRECT, MODE_COMPAT, MODE_STAGING };
#define N_ASSETS 4
#define N_TEX 2
#define RT 256		/* the rendered picture: RT x RT RGBA8 */

struct asset {
	const char *name;
	int is_tex;
	struct ktx2_info ktx;
	int fd;
	struct dmab_file *file;
	uint64_t file_off, len, buf_off;
	uint64_t direct, compat;	/* bytes by path (streamer) */
	uint32_t reasons, file_reason;
	uint32_t cpu_sum[2], gpu_sum[2];
};

struct app {
	enum mode mode;
	const char *dir, *png, *json;
	struct asset as[N_ASSETS];
	uint64_t total;			/* asset buffer size */
	uint64_t bytes;			/* file bytes loaded */

	VkInstance inst;
	VkPhysicalDevice pd;
	VkPhysicalDeviceProperties props;
	VkDevice dev;
	uint32_t qf;
	VkQueue queue;
	VkCommandPool pool;
	VkCommandBuffer cb, copy_cb;
	VkFence fence;

	VkBuffer abuf;			/* the assets, whichever way loaded */
	struct dmab_vk_mem *mem;	/* direct, compat */
	VkDeviceMemory abuf_mem;	/* staging: device buffer */
	VkBuffer stage;
	VkDeviceMemory stage_mem;
	void *stage_map;

	VkImage tex[N_TEX], color;
	VkDeviceMemory tex_mem[N_TEX], color_mem;
	VkImageView tex_view[N_TEX], color_view;
	VkSampler sampler;
	VkBuffer readback, sums;
	VkDeviceMemory readback_mem, sums_mem;
	void *readback_map, *sums_map;
	VkDescriptorSetLayout gfx_dsl, comp_dsl;
	VkDescriptorPool dpool;
	VkDescriptorSet gfx_set, comp_set;
	VkPipelineLayout gfx_layout, comp_layout;
	VkPipeline gfx, comp;

	struct dmab_ctx *ctx;
	struct dmab_vk_streamer *streamer;
	pthread_mutex_t lock;		/* asset byte counts from the callback */

	double t_load, t_first_pixel, cpu_load;
	uint64_t cpu_copied;
};

/* report a failed Vulkan call and return its errno */
int vk_fail(const char *call, VkResult r);
#define VK(call) do { VkResult r_ = (call); \
	if (r_ != VK_SUCCESS) return vk_fail(#call, r_); } while (0)

int gpu_init(struct app *a);
int gpu_resources(struct app *a);
int gpu_record(struct app *a);
int gpu_submit_render(struct app *a, int wait_semaphore);
int gpu_copy_staging(struct app *a);
void gpu_fini(struct app *a);
int alloc_buffer(struct app *a, VkDeviceSize size, VkBufferUsageFlags usage,
		 VkMemoryPropertyFlags props, VkBuffer *b, VkDeviceMemory *m);
#endif
