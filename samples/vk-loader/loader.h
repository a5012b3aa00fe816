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
#define N_FRAME 3	/* the frame needs assets 0..2 (textures, mesh) */
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
	uint32_t file_sum[2], gpu_sum[2];
	double t_ready;			/* its semaphore value reached, s after t0 */
	char file_id[96];		/* dev:inode:mtime_ns:size, see --file-sums */
	int sums_reused;		/* file_sum from --file-sums, not read back */
};

struct app {
	enum mode mode;
	const char *dir, *png, *json;
	const char *file_sums;		/* a JSON summary to take file_sum from */
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
	VkCommandBuffer frame_cb;	/* textures, draw, picture to readback */
	VkCommandBuffer sums_cb;	/* the checksums of every asset */
	VkCommandBuffer warm_cb;	/* compiles the pipelines' variants */
	VkCommandBuffer copy_cb[N_ASSETS];	/* staging: one copy per asset */
	VkFence frame_fence, sums_fence, warm_fence;
	VkSemaphore sem;		/* timeline: asset i in place at i + 1 */
	VkSemaphore stage_sem;		/* staging's own (streamer's otherwise) */

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
	VkBuffer readback, sums, warm_vb;
	VkDeviceMemory readback_mem, sums_mem, warm_vb_mem;
	void *readback_map, *sums_map;
	VkDescriptorSetLayout gfx_dsl, comp_dsl;
	VkDescriptorPool dpool;
	VkDescriptorSet gfx_set, comp_set;
	VkPipelineLayout gfx_layout, comp_layout;
	VkPipeline gfx, comp;

	struct dmab_ctx *ctx;
	struct dmab_vk_streamer *streamer;
	pthread_mutex_t lock;		/* asset byte counts from the callback */

	double t_setup;			/* process start to ready to load */
	double t_phase[4];		/* of it: device, memory, pipelines, warm-up */
	double t_load;			/* t0 to every asset in place */
	double t_first_pixel;		/* t0 to the picture in host memory */
	double t_sums;			/* t0 to the GPU checksums done */
	double cpu_load;		/* the loader's CPU time, t0 to t_load */
	double cpu_process;		/* all threads', the Vulkan driver's too */
	double t_verify;		/* the file checksums (not in the load) */
	uint64_t cpu_copied;
};

/* report a failed Vulkan call and return its errno */
int vk_fail(const char *call, VkResult r);
#define VK(call) do { VkResult r_ = (call); \
	if (r_ != VK_SUCCESS) return vk_fail(#call, r_); } while (0)

int gpu_init(struct app *a);
int gpu_resources(struct app *a);
int gpu_record(struct app *a);
int gpu_warmup(struct app *a);
/*
 * Submit cb; it waits for a->sem to reach wait (0: no wait), then
 * a->sem is set to signal (0: none, the streamer signals it) and fence.
 */
int gpu_submit(struct app *a, VkCommandBuffer cb, uint64_t wait, uint64_t signal,
	       VkFence fence);
void gpu_fini(struct app *a);
int alloc_buffer(struct app *a, VkDeviceSize size, VkBufferUsageFlags usage,
		 VkMemoryPropertyFlags props, VkBuffer *b, VkDeviceMemory *m);
#endif
