// SPDX-License-Identifier: MIT
/*
 * vk-loader's Vulkan side: device, the textures, the offscreen target,
 * the graphics and compute pipelines, and the one command buffer that
 * copies the streamed texels into images, draws, reads the picture back
 * and checksums every asset on the GPU.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
/* checked-in SPIR-V (spirv.cmake; the target vk-loader-spirv remakes it) */
#include "spirv/quad_vert.h"
#include "spirv/quad_frag.h"
#include "spirv/checksum_comp.h"

int vk_fail(const char *call, VkResult r)
{
	fprintf(stderr, "vk-loader: %s: %s\n", call, dmab_vk_result_name(r));
	return dmab_vk_errno(r) ? dmab_vk_errno(r) : -EIO;
}

static int has_ext(VkPhysicalDevice pd, const char *name)
{
	VkExtensionProperties e[512];
	uint32_t n = 512, i;

	if (vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!strcmp(e[i].extensionName, name))
			return 1;
	return 0;
}

int gpu_init(struct app *a)
{
	VkApplicationInfo ai = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "dmabridge vk-loader",
		.apiVersion = VK_API_VERSION_1_3,
	};
	VkInstanceCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
		.pApplicationInfo = &ai,
	};
	VkPhysicalDevice pds[8];
	VkQueueFamilyProperties qfp[16];
	uint32_t n = 8, nq = 16, i, next = 0;
	const char *exts[8];
	const char *const *want;
	unsigned int nwant;
	float prio = 1.0f;

	VK(vkCreateInstance(&ici, NULL, &a->inst));
	VK(vkEnumeratePhysicalDevices(a->inst, &n, pds));
	if (!n) {
		fprintf(stderr, "vk-loader: no Vulkan device\n");
		return -ENODEV;
	}
	a->pd = pds[0];
	vkGetPhysicalDeviceProperties(a->pd, &a->props);
	if (a->props.apiVersion < VK_API_VERSION_1_3) {
		fprintf(stderr, "vk-loader: %s has Vulkan %u.%u, 1.3 needed\n",
			a->props.deviceName, VK_API_VERSION_MAJOR(a->props.apiVersion),
			VK_API_VERSION_MINOR(a->props.apiVersion));
		return -EOPNOTSUPP;
	}
	vkGetPhysicalDeviceQueueFamilyProperties(a->pd, &nq, qfp);
	for (a->qf = 0; a->qf < nq; a->qf++)
		if ((qfp[a->qf].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
		    (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))
			break;
	if (a->qf == nq) {
		fprintf(stderr, "vk-loader: no graphics+compute queue\n");
		return -EOPNOTSUPP;
	}
	if (a->mode != MODE_STAGING) {
		want = dmab_vk_device_extensions(&nwant);
		for (i = 0; i < nwant; i++)
			exts[next++] = want[i];
	}
	for (i = 0; i < next; i++)
		if (!has_ext(a->pd, exts[i])) {
			fprintf(stderr, "vk-loader: %s lacks %s\n", a->props.deviceName,
				exts[i]);
			return -EOPNOTSUPP;
		}
	{
		VkPhysicalDeviceVulkan13Features f13 = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES,
			.dynamicRendering = VK_TRUE,
		};
		VkPhysicalDeviceVulkan12Features f12 = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
			.pNext = &f13, .timelineSemaphore = VK_TRUE,
		};
		VkPhysicalDeviceFeatures2 f = {
			.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
			.pNext = &f12,
			.features.shaderSampledImageArrayDynamicIndexing = VK_TRUE,
		};
		VkDeviceQueueCreateInfo qci = {
			.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
			.queueFamilyIndex = a->qf, .queueCount = 1,
			.pQueuePriorities = &prio,
		};
		VkDeviceCreateInfo dci = {
			.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .pNext = &f,
			.queueCreateInfoCount = 1, .pQueueCreateInfos = &qci,
			.enabledExtensionCount = next, .ppEnabledExtensionNames = exts,
		};
		VK(vkCreateDevice(a->pd, &dci, NULL, &a->dev));
	}
	vkGetDeviceQueue(a->dev, a->qf, 0, &a->queue);
	{
		VkCommandPoolCreateInfo pci = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
			.queueFamilyIndex = a->qf,
		};
		VkCommandBufferAllocateInfo cai = {
			.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
			.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1,
		};
		VkFenceCreateInfo fci = { .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO };
		VkSemaphoreTypeCreateInfo tci = {
			.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO,
			.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE,
		};
		VkSemaphoreCreateInfo sci = {
			.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO, .pNext = &tci,
		};

		VK(vkCreateCommandPool(a->dev, &pci, NULL, &a->pool));
		cai.commandPool = a->pool;
		VK(vkAllocateCommandBuffers(a->dev, &cai, &a->frame_cb));
		VK(vkAllocateCommandBuffers(a->dev, &cai, &a->sums_cb));
		VK(vkAllocateCommandBuffers(a->dev, &cai, &a->warm_cb));
		cai.commandBufferCount = N_ASSETS;
		VK(vkAllocateCommandBuffers(a->dev, &cai, a->copy_cb));
		VK(vkCreateFence(a->dev, &fci, NULL, &a->frame_fence));
		VK(vkCreateFence(a->dev, &fci, NULL, &a->sums_fence));
		VK(vkCreateFence(a->dev, &fci, NULL, &a->warm_fence));
		/* staging signals its own timeline; the others use the streamer's */
		if (a->mode == MODE_STAGING) {
			VK(vkCreateSemaphore(a->dev, &sci, NULL, &a->stage_sem));
			a->sem = a->stage_sem;
		}
	}
	return 0;
}

static int mem_type(struct app *a, uint32_t bits, VkMemoryPropertyFlags props)
{
	VkPhysicalDeviceMemoryProperties mp;
	uint32_t i;

	vkGetPhysicalDeviceMemoryProperties(a->pd, &mp);
	for (i = 0; i < mp.memoryTypeCount; i++)
		if ((bits & 1U << i) && (mp.memoryTypes[i].propertyFlags & props) == props)
			return (int)i;
	fprintf(stderr, "vk-loader: no memory type 0x%x with properties 0x%x\n",
		bits, props);
	return -EOPNOTSUPP;
}

int alloc_buffer(struct app *a, VkDeviceSize size, VkBufferUsageFlags usage,
		 VkMemoryPropertyFlags props, VkBuffer *b, VkDeviceMemory *m)
{
	VkBufferCreateInfo bci = {
		.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .size = size,
		.usage = usage,
	};
	VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
	VkMemoryRequirements mr;
	int t;

	VK(vkCreateBuffer(a->dev, &bci, NULL, b));
	vkGetBufferMemoryRequirements(a->dev, *b, &mr);
	t = mem_type(a, mr.memoryTypeBits, props);
	if (t < 0)
		return t;
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = (uint32_t)t;
	VK(vkAllocateMemory(a->dev, &mai, NULL, m));
	VK(vkBindBufferMemory(a->dev, *b, *m, 0));
	return 0;
}

static int alloc_image(struct app *a, uint32_t w, uint32_t h, VkImageUsageFlags usage,
		       VkImage *img, VkDeviceMemory *m, VkImageView *view)
{
	VkImageCreateInfo ici = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
		.imageType = VK_IMAGE_TYPE_2D, .format = VK_FORMAT_R8G8B8A8_UNORM,
		.extent = { w, h, 1 }, .mipLevels = 1, .arrayLayers = 1,
		.samples = VK_SAMPLE_COUNT_1_BIT, .tiling = VK_IMAGE_TILING_OPTIMAL,
		.usage = usage, .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED,
	};
	VkImageViewCreateInfo vci = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO,
		.viewType = VK_IMAGE_VIEW_TYPE_2D, .format = VK_FORMAT_R8G8B8A8_UNORM,
		.subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};
	VkMemoryAllocateInfo mai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO };
	VkMemoryRequirements mr;
	int t;

	VK(vkCreateImage(a->dev, &ici, NULL, img));
	vkGetImageMemoryRequirements(a->dev, *img, &mr);
	t = mem_type(a, mr.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
	if (t < 0)
		return t;
	mai.allocationSize = mr.size;
	mai.memoryTypeIndex = (uint32_t)t;
	VK(vkAllocateMemory(a->dev, &mai, NULL, m));
	VK(vkBindImageMemory(a->dev, *img, *m, 0));
	vci.image = *img;
	VK(vkCreateImageView(a->dev, &vci, NULL, view));
	return 0;
}

static int shader(struct app *a, const uint32_t *code, size_t size, VkShaderModule *m)
{
	VkShaderModuleCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
		.codeSize = size, .pCode = code,
	};

	VK(vkCreateShaderModule(a->dev, &ci, NULL, m));
	return 0;
}

static int descriptors(struct app *a)
{
	VkDescriptorSetLayoutBinding gb = {
		.binding = 0, .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
		.descriptorCount = N_TEX, .stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT,
	};
	VkDescriptorSetLayoutBinding cb[2] = {
		{ .binding = 0, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		  .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
		{ .binding = 1, .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
		  .descriptorCount = 1, .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT },
	};
	VkDescriptorSetLayoutCreateInfo lci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
		.bindingCount = 1, .pBindings = &gb,
	};
	VkDescriptorPoolSize ps[2] = {
		{ VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, N_TEX },
		{ VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 2 },
	};
	VkDescriptorPoolCreateInfo pci = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
		.maxSets = 2, .poolSizeCount = 2, .pPoolSizes = ps,
	};
	VkDescriptorSetAllocateInfo dai = {
		.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
		.descriptorSetCount = 1,
	};
	VkDescriptorImageInfo ii[N_TEX];
	VkDescriptorBufferInfo bi[2] = {
		{ .range = VK_WHOLE_SIZE }, { .range = VK_WHOLE_SIZE },
	};
	VkWriteDescriptorSet w[2] = {
		{ .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 0,
		  .descriptorCount = N_TEX,
		  .descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, .pImageInfo = ii },
		{ .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, .dstBinding = 0,
		  .descriptorCount = 2,
		  .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .pBufferInfo = bi },
	};
	int i;

	VK(vkCreateDescriptorSetLayout(a->dev, &lci, NULL, &a->gfx_dsl));
	lci.bindingCount = 2;
	lci.pBindings = cb;
	VK(vkCreateDescriptorSetLayout(a->dev, &lci, NULL, &a->comp_dsl));
	VK(vkCreateDescriptorPool(a->dev, &pci, NULL, &a->dpool));
	dai.descriptorPool = a->dpool;
	dai.pSetLayouts = &a->gfx_dsl;
	VK(vkAllocateDescriptorSets(a->dev, &dai, &a->gfx_set));
	dai.pSetLayouts = &a->comp_dsl;
	VK(vkAllocateDescriptorSets(a->dev, &dai, &a->comp_set));
	for (i = 0; i < N_TEX; i++)
		ii[i] = (VkDescriptorImageInfo){ a->sampler, a->tex_view[i],
			VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL };
	bi[0].buffer = a->abuf;
	bi[1].buffer = a->sums;
	w[0].dstSet = a->gfx_set;
	w[1].dstSet = a->comp_set;
	vkUpdateDescriptorSets(a->dev, 2, w, 0, NULL);
	return 0;
}

static int pipelines(struct app *a)
{
	VkShaderModule vs, fs, cs;
	VkPushConstantRange gpc = { VK_SHADER_STAGE_FRAGMENT_BIT, 0, 4 };
	VkPushConstantRange cpc = { VK_SHADER_STAGE_COMPUTE_BIT, 0, 12 };
	VkPipelineLayoutCreateInfo plci = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
		.setLayoutCount = 1, .pSetLayouts = &a->gfx_dsl,
		.pushConstantRangeCount = 1, .pPushConstantRanges = &gpc,
	};
	VkPipelineShaderStageCreateInfo st[2] = {
		{ .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
		  .stage = VK_SHADER_STAGE_VERTEX_BIT, .pName = "main" },
		{ .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
		  .stage = VK_SHADER_STAGE_FRAGMENT_BIT, .pName = "main" },
	};
	VkVertexInputBindingDescription vb = { 0, 16, VK_VERTEX_INPUT_RATE_VERTEX };
	VkVertexInputAttributeDescription va[2] = {
		{ 0, 0, VK_FORMAT_R32G32_SFLOAT, 0 }, { 1, 0, VK_FORMAT_R32G32_SFLOAT, 8 },
	};
	VkPipelineVertexInputStateCreateInfo vi = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO,
		.vertexBindingDescriptionCount = 1, .pVertexBindingDescriptions = &vb,
		.vertexAttributeDescriptionCount = 2, .pVertexAttributeDescriptions = va,
	};
	VkPipelineInputAssemblyStateCreateInfo ia = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO,
		.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
	};
	VkPipelineViewportStateCreateInfo vp = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO,
		.viewportCount = 1, .scissorCount = 1,
	};
	VkPipelineRasterizationStateCreateInfo rs = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO,
		.polygonMode = VK_POLYGON_MODE_FILL, .cullMode = VK_CULL_MODE_NONE,
		.lineWidth = 1.0f,
	};
	VkPipelineMultisampleStateCreateInfo ms = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO,
		.rasterizationSamples = VK_SAMPLE_COUNT_1_BIT,
	};
	VkPipelineColorBlendAttachmentState cba = { .colorWriteMask = 0xf };
	VkPipelineColorBlendStateCreateInfo cbs = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO,
		.attachmentCount = 1, .pAttachments = &cba,
	};
	VkDynamicState dyn[2] = { VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR };
	VkPipelineDynamicStateCreateInfo ds = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO,
		.dynamicStateCount = 2, .pDynamicStates = dyn,
	};
	VkFormat cf = VK_FORMAT_R8G8B8A8_UNORM;
	VkPipelineRenderingCreateInfo pr = {
		.sType = VK_STRUCTURE_TYPE_PIPELINE_RENDERING_CREATE_INFO,
		.colorAttachmentCount = 1, .pColorAttachmentFormats = &cf,
	};
	VkGraphicsPipelineCreateInfo gci = {
		.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO, .pNext = &pr,
		.stageCount = 2, .pStages = st, .pVertexInputState = &vi,
		.pInputAssemblyState = &ia, .pViewportState = &vp,
		.pRasterizationState = &rs, .pMultisampleState = &ms,
		.pColorBlendState = &cbs, .pDynamicState = &ds,
	};
	VkComputePipelineCreateInfo cci = {
		.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
		.stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
			   .stage = VK_SHADER_STAGE_COMPUTE_BIT, .pName = "main" },
	};
	int ret;

	if ((ret = shader(a, spv_quad_vert, sizeof(spv_quad_vert), &vs)) ||
	    (ret = shader(a, spv_quad_frag, sizeof(spv_quad_frag), &fs)) ||
	    (ret = shader(a, spv_checksum_comp, sizeof(spv_checksum_comp), &cs)))
		return ret;
	st[0].module = vs;
	st[1].module = fs;
	VK(vkCreatePipelineLayout(a->dev, &plci, NULL, &a->gfx_layout));
	gci.layout = a->gfx_layout;
	VK(vkCreateGraphicsPipelines(a->dev, VK_NULL_HANDLE, 1, &gci, NULL, &a->gfx));
	plci.pSetLayouts = &a->comp_dsl;
	plci.pPushConstantRanges = &cpc;
	VK(vkCreatePipelineLayout(a->dev, &plci, NULL, &a->comp_layout));
	cci.stage.module = cs;
	cci.layout = a->comp_layout;
	VK(vkCreateComputePipelines(a->dev, VK_NULL_HANDLE, 1, &cci, NULL, &a->comp));
	vkDestroyShaderModule(a->dev, vs, NULL);
	vkDestroyShaderModule(a->dev, fs, NULL);
	vkDestroyShaderModule(a->dev, cs, NULL);
	return 0;
}

/* Everything but the asset buffer, which main.c makes per mode. */
int gpu_resources(struct app *a)
{
	VkSamplerCreateInfo sci = {
		.sType = VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO,
		.magFilter = VK_FILTER_NEAREST, .minFilter = VK_FILTER_NEAREST,
		.addressModeU = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
		.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
		.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE,
	};
	const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
	int i, ret;

	for (i = 0; i < N_TEX; i++) {
		const struct ktx2_level *l = &a->as[i].ktx.level[0];

		ret = alloc_image(a, l->width, l->height,
				  VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT,
				  &a->tex[i], &a->tex_mem[i], &a->tex_view[i]);
		if (ret)
			return ret;
	}
	ret = alloc_image(a, RT, RT, VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT |
			  VK_IMAGE_USAGE_TRANSFER_SRC_BIT, &a->color, &a->color_mem,
			  &a->color_view);
	if (ret)
		return ret;
	VK(vkCreateSampler(a->dev, &sci, NULL, &a->sampler));
	ret = alloc_buffer(a, RT * RT * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, host,
			   &a->readback, &a->readback_mem);
	if (ret)
		return ret;
	/* a slot per asset and one for the warm-up */
	ret = alloc_buffer(a, (N_ASSETS + 1) * 8, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
			   host, &a->sums, &a->sums_mem);
	if (ret)
		return ret;
	ret = alloc_buffer(a, 2 * 6 * 16, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT, host,
			   &a->warm_vb, &a->warm_vb_mem);
	if (ret)
		return ret;
	VK(vkMapMemory(a->dev, a->readback_mem, 0, VK_WHOLE_SIZE, 0, &a->readback_map));
	VK(vkMapMemory(a->dev, a->sums_mem, 0, VK_WHOLE_SIZE, 0, &a->sums_map));
	memset(a->sums_map, 0, (N_ASSETS + 1) * 8);
	{
		/* the warm-up's quads: a pixel each in a corner */
		float *v;
		int k;

		VK(vkMapMemory(a->dev, a->warm_vb_mem, 0, VK_WHOLE_SIZE, 0, (void **)&v));
		for (k = 0; k < 12; k++) {
			v[4 * k + 0] = -1.0f + (k % 6 == 1 || k % 6 == 2 || k % 6 == 4 ? 0.01f : 0);
			v[4 * k + 1] = -1.0f + (k % 6 == 2 || k % 6 == 4 || k % 6 == 5 ? 0.01f : 0);
			v[4 * k + 2] = v[4 * k + 3] = 0.5f;
		}
		vkUnmapMemory(a->dev, a->warm_vb_mem);
	}
	ret = descriptors(a);
	return ret ? ret : pipelines(a);
}

static void image_barrier(VkCommandBuffer cb, VkImage img, VkImageLayout from,
			  VkImageLayout to, VkAccessFlags src, VkAccessFlags dst,
			  VkPipelineStageFlags ss, VkPipelineStageFlags ds)
{
	VkImageMemoryBarrier b = {
		.sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER,
		.srcAccessMask = src, .dstAccessMask = dst,
		.oldLayout = from, .newLayout = to,
		.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
		.image = img, .subresourceRange = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1 },
	};

	vkCmdPipelineBarrier(cb, ss, ds, 0, 0, NULL, 0, NULL, 1, &b);
}

static const VkCommandBufferBeginInfo begin_info = {
	.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
	.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
};
static const VkAccessFlags asset_reads = VK_ACCESS_TRANSFER_READ_BIT |
	VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_VERTEX_ATTRIBUTE_READ_BIT;
static const VkPipelineStageFlags asset_users = VK_PIPELINE_STAGE_TRANSFER_BIT |
	VK_PIPELINE_STAGE_VERTEX_INPUT_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;

/*
 * Make [off, off + size) of the asset buffer available to what follows:
 * acquire it from the foreign queue family when the streamer filled it (a
 * dma-buf written by the NVMe controller or the library's CPU copy), or
 * wait for the staging copies that wrote it.
 */
static void acquire(struct app *a, VkCommandBuffer cb, VkDeviceSize off,
		    VkDeviceSize size)
{
	VkBufferMemoryBarrier b;

	if (a->mem) {
		b = dmab_vk_acquire_barrier(a->mem, off, size, a->qf, asset_reads);
	} else {
		b = (VkBufferMemoryBarrier){
			.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = asset_reads,
			.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
			.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED,
			.buffer = a->abuf, .offset = off, .size = size,
		};
	}
	vkCmdPipelineBarrier(cb, a->mem ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT :
			     VK_PIPELINE_STAGE_TRANSFER_BIT, asset_users, 0, 0, NULL,
			     1, &b, 0, NULL);
}

static void draw_quads(struct app *a, VkCommandBuffer cb, VkBuffer vb, VkDeviceSize voff)
{
	VkRenderingAttachmentInfo att = {
		.sType = VK_STRUCTURE_TYPE_RENDERING_ATTACHMENT_INFO,
		.imageView = a->color_view,
		.imageLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
		.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR, .storeOp = VK_ATTACHMENT_STORE_OP_STORE,
		.clearValue.color.float32 = { 0.1f, 0.1f, 0.12f, 1.0f },
	};
	VkRenderingInfo ri = {
		.sType = VK_STRUCTURE_TYPE_RENDERING_INFO,
		.renderArea.extent = { RT, RT }, .layerCount = 1,
		.colorAttachmentCount = 1, .pColorAttachments = &att,
	};
	VkViewport vp = { 0, 0, RT, RT, 0, 1 };
	VkRect2D sc = { { 0, 0 }, { RT, RT } };
	uint32_t i;

	image_barrier(cb, a->color, VK_IMAGE_LAYOUT_UNDEFINED,
		      VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL, 0,
		      VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT,
		      VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT);
	vkCmdBeginRendering(cb, &ri);
	vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, a->gfx);
	vkCmdSetViewport(cb, 0, 1, &vp);
	vkCmdSetScissor(cb, 0, 1, &sc);
	vkCmdBindVertexBuffers(cb, 0, 1, &vb, &voff);
	vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_GRAPHICS, a->gfx_layout, 0,
				1, &a->gfx_set, 0, NULL);
	for (i = 0; i < N_TEX; i++) {
		vkCmdPushConstants(cb, a->gfx_layout, VK_SHADER_STAGE_FRAGMENT_BIT, 0, 4, &i);
		vkCmdDraw(cb, 6, 1, 6 * i, 0);
	}
	vkCmdEndRendering(cb);
}

/* checksum of count words from word first into slot (checksum.comp) */
static void checksum(struct app *a, VkCommandBuffer cb, uint32_t first,
		     uint32_t count, uint32_t slot)
{
	uint32_t pc[3] = { first, count, slot };
	uint32_t groups = (count + 64 * 64 - 1) / (64 * 64);

	vkCmdPushConstants(cb, a->comp_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, 12, pc);
	vkCmdDispatch(cb, groups ? groups : 1, 1, 1);
}

static void to_host(VkCommandBuffer cb)
{
	VkMemoryBarrier host = {
		.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
		.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT,
		.dstAccessMask = VK_ACCESS_HOST_READ_BIT,
	};

	vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT |
			     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT,
			     0, 1, &host, 0, NULL, 0, NULL);
}

/*
 * The command buffers, recorded before the load starts:
 *  - frame: acquire the part of the asset buffer the frame uses (the
 *    textures and the mesh, which come first), texels to images, draw,
 *    the picture to the readback buffer;
 *  - sums: acquire the rest, checksum every asset;
 *  - copy[i] (staging): the staging buffer's copy of asset i to the
 *    device buffer;
 *  - warm-up: the same pipelines on a dummy quad and an empty checksum,
 *    so that the driver's lazily compiled variants (llvmpipe compiles at
 *    the first draw and dispatch) are not in the time to first pixel.
 */
int gpu_record(struct app *a)
{
	VkBufferImageCopy rb = {
		.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
		.imageExtent = { RT, RT, 1 },
	};
	const VkDeviceSize split = a->as[N_FRAME].buf_off & ~4095ULL;
	int i;

	VK(vkBeginCommandBuffer(a->frame_cb, &begin_info));
	acquire(a, a->frame_cb, 0, split);
	for (i = 0; i < N_TEX; i++) {
		const struct ktx2_level *l = &a->as[i].ktx.level[0];
		VkBufferImageCopy c = {
			.bufferOffset = a->as[i].buf_off,
			.imageSubresource = { VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1 },
			.imageExtent = { l->width, l->height, 1 },
		};

		image_barrier(a->frame_cb, a->tex[i], VK_IMAGE_LAYOUT_UNDEFINED,
			      VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 0, VK_ACCESS_TRANSFER_WRITE_BIT,
			      VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT);
		vkCmdCopyBufferToImage(a->frame_cb, a->abuf, a->tex[i],
				       VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &c);
		image_barrier(a->frame_cb, a->tex[i], VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
			      VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL,
			      VK_ACCESS_TRANSFER_WRITE_BIT, VK_ACCESS_SHADER_READ_BIT,
			      VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT);
	}
	draw_quads(a, a->frame_cb, a->abuf, a->as[2].buf_off);	/* mesh.bin */
	image_barrier(a->frame_cb, a->color, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
		      VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT,
		      VK_ACCESS_TRANSFER_READ_BIT, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
		      VK_PIPELINE_STAGE_TRANSFER_BIT);
	vkCmdCopyImageToBuffer(a->frame_cb, a->color, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
			       a->readback, 1, &rb);
	to_host(a->frame_cb);
	VK(vkEndCommandBuffer(a->frame_cb));

	VK(vkBeginCommandBuffer(a->sums_cb, &begin_info));
	acquire(a, a->sums_cb, split, VK_WHOLE_SIZE);
	vkCmdBindPipeline(a->sums_cb, VK_PIPELINE_BIND_POINT_COMPUTE, a->comp);
	vkCmdBindDescriptorSets(a->sums_cb, VK_PIPELINE_BIND_POINT_COMPUTE, a->comp_layout,
				0, 1, &a->comp_set, 0, NULL);
	for (i = 0; i < N_ASSETS; i++)
		checksum(a, a->sums_cb, (uint32_t)(a->as[i].buf_off / 4),
			 (uint32_t)(a->as[i].len / 4), (uint32_t)i);
	to_host(a->sums_cb);
	VK(vkEndCommandBuffer(a->sums_cb));

	for (i = 0; a->stage && i < N_ASSETS; i++) {
		VkBufferCopy r = { a->as[i].buf_off, a->as[i].buf_off, a->as[i].len };

		VK(vkBeginCommandBuffer(a->copy_cb[i], &begin_info));
		vkCmdCopyBuffer(a->copy_cb[i], a->stage, a->abuf, 1, &r);
		VK(vkEndCommandBuffer(a->copy_cb[i]));
	}

	VK(vkBeginCommandBuffer(a->warm_cb, &begin_info));
	/* staging's device buffer: its pages are there before the load too */
	if (a->stage) {
		VkMemoryBarrier filled = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
			.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
			.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | asset_reads,
		};

		vkCmdFillBuffer(a->warm_cb, a->abuf, 0, VK_WHOLE_SIZE, 0);
		vkCmdPipelineBarrier(a->warm_cb, VK_PIPELINE_STAGE_TRANSFER_BIT, asset_users,
				     0, 1, &filled, 0, NULL, 0, NULL);
	}
	for (i = 0; i < N_TEX; i++)
		image_barrier(a->warm_cb, a->tex[i], VK_IMAGE_LAYOUT_UNDEFINED,
			      VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, 0, VK_ACCESS_SHADER_READ_BIT,
			      VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT);
	draw_quads(a, a->warm_cb, a->warm_vb, 0);
	vkCmdBindPipeline(a->warm_cb, VK_PIPELINE_BIND_POINT_COMPUTE, a->comp);
	vkCmdBindDescriptorSets(a->warm_cb, VK_PIPELINE_BIND_POINT_COMPUTE, a->comp_layout,
				0, 1, &a->comp_set, 0, NULL);
	checksum(a, a->warm_cb, 0, 0, N_ASSETS);
	VK(vkEndCommandBuffer(a->warm_cb));
	return 0;
}

/* Submit cb: wait for a->sem >= wait, then set a->sem to signal (0: none). */
static VkResult submit(struct app *a, VkCommandBuffer cb, uint64_t wait,
		       uint64_t signal, VkFence fence)
{
	VkPipelineStageFlags stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
	VkTimelineSemaphoreSubmitInfo ts = {
		.sType = VK_STRUCTURE_TYPE_TIMELINE_SEMAPHORE_SUBMIT_INFO,
		.waitSemaphoreValueCount = wait ? 1 : 0, .pWaitSemaphoreValues = &wait,
		.signalSemaphoreValueCount = signal ? 1 : 0,
		.pSignalSemaphoreValues = &signal,
	};
	VkSubmitInfo si = {
		.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
		.pNext = wait || signal ? &ts : NULL,
		.waitSemaphoreCount = wait ? 1 : 0,
		.pWaitSemaphores = &a->sem, .pWaitDstStageMask = &stage,
		.commandBufferCount = 1, .pCommandBuffers = &cb,
		.signalSemaphoreCount = signal ? 1 : 0, .pSignalSemaphores = &a->sem,
	};

	return vkQueueSubmit(a->queue, 1, &si, fence);
}

int gpu_submit(struct app *a, VkCommandBuffer cb, uint64_t wait, uint64_t signal,
	       VkFence fence)
{
	VK(submit(a, cb, wait, signal, fence));
	return 0;
}

int gpu_warmup(struct app *a)
{
	VK(submit(a, a->warm_cb, 0, 0, a->warm_fence));
	VK(vkWaitForFences(a->dev, 1, &a->warm_fence, VK_TRUE, UINT64_MAX));
	return 0;
}

void gpu_fini(struct app *a)
{
	int i;

	if (!a->dev)
		goto instance;
	vkDeviceWaitIdle(a->dev);
	vkDestroyPipeline(a->dev, a->gfx, NULL);
	vkDestroyPipeline(a->dev, a->comp, NULL);
	vkDestroyPipelineLayout(a->dev, a->gfx_layout, NULL);
	vkDestroyPipelineLayout(a->dev, a->comp_layout, NULL);
	vkDestroyDescriptorPool(a->dev, a->dpool, NULL);
	vkDestroyDescriptorSetLayout(a->dev, a->gfx_dsl, NULL);
	vkDestroyDescriptorSetLayout(a->dev, a->comp_dsl, NULL);
	vkDestroySampler(a->dev, a->sampler, NULL);
	for (i = 0; i < N_TEX; i++) {
		vkDestroyImageView(a->dev, a->tex_view[i], NULL);
		vkDestroyImage(a->dev, a->tex[i], NULL);
		vkFreeMemory(a->dev, a->tex_mem[i], NULL);
	}
	vkDestroyImageView(a->dev, a->color_view, NULL);
	vkDestroyImage(a->dev, a->color, NULL);
	vkFreeMemory(a->dev, a->color_mem, NULL);
	vkDestroyBuffer(a->dev, a->readback, NULL);
	vkFreeMemory(a->dev, a->readback_mem, NULL);
	vkDestroyBuffer(a->dev, a->sums, NULL);
	vkFreeMemory(a->dev, a->sums_mem, NULL);
	vkDestroyBuffer(a->dev, a->warm_vb, NULL);
	vkFreeMemory(a->dev, a->warm_vb_mem, NULL);
	vkDestroyBuffer(a->dev, a->stage, NULL);
	vkFreeMemory(a->dev, a->stage_mem, NULL);
	if (a->mem) {
		dmab_vk_mem_free(a->mem);
	} else {
		vkDestroyBuffer(a->dev, a->abuf, NULL);
		vkFreeMemory(a->dev, a->abuf_mem, NULL);
	}
	vkDestroyFence(a->dev, a->frame_fence, NULL);
	vkDestroyFence(a->dev, a->sums_fence, NULL);
	vkDestroyFence(a->dev, a->warm_fence, NULL);
	vkDestroySemaphore(a->dev, a->stage_sem, NULL);
	vkDestroyCommandPool(a->dev, a->pool, NULL);
	vkDestroyDevice(a->dev, NULL);
instance:
	if (a->inst)
		vkDestroyInstance(a->inst, NULL);
}
