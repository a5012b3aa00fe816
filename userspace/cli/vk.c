// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Vulkan devices that export dma-bufs, loaded at run time (vk.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk.h"

#ifdef DMAB_CLI_VULKAN
#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

struct vkfn {
	void *lib;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkCreateInstance CreateInstance;
	PFN_vkDestroyInstance DestroyInstance;
	PFN_vkEnumeratePhysicalDevices EnumeratePhysicalDevices;
	PFN_vkGetPhysicalDeviceProperties GetPhysicalDeviceProperties;
	PFN_vkEnumerateDeviceExtensionProperties EnumerateDeviceExtensionProperties;
	PFN_vkGetPhysicalDeviceMemoryProperties GetPhysicalDeviceMemoryProperties;
	PFN_vkGetPhysicalDeviceQueueFamilyProperties GetPhysicalDeviceQueueFamilyProperties;
	PFN_vkCreateDevice CreateDevice;
	PFN_vkGetDeviceProcAddr GetDeviceProcAddr;
	PFN_vkDestroyDevice DestroyDevice;
	PFN_vkCreateBuffer CreateBuffer;
	PFN_vkDestroyBuffer DestroyBuffer;
	PFN_vkGetBufferMemoryRequirements GetBufferMemoryRequirements;
	PFN_vkAllocateMemory AllocateMemory;
	PFN_vkFreeMemory FreeMemory;
	PFN_vkBindBufferMemory BindBufferMemory;
	PFN_vkMapMemory MapMemory;
	PFN_vkGetMemoryFdKHR GetMemoryFdKHR;
	VkInstance inst;
};

struct vk_mem {
	struct vkfn f;
	VkDevice dev;
	VkBuffer buf;
	VkDeviceMemory mem;
	VkDeviceSize size;
	bool host_visible;
	void *map;
};

static int vk_open(struct vkfn *f, char *err, size_t errlen)
{
	VkApplicationInfo app = {
		.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
		.pApplicationName = "dmabridge", .apiVersion = VK_API_VERSION_1_1,
	};
	VkInstanceCreateInfo ci = {
		.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app,
	};
	VkResult r;

	memset(f, 0, sizeof(*f));
	f->lib = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!f->lib) {
		snprintf(err, errlen, "libvulkan.so.1 not found");
		return -ENOENT;
	}
	f->gipa = (PFN_vkGetInstanceProcAddr)dlsym(f->lib, "vkGetInstanceProcAddr");
	if (f->gipa)
		f->CreateInstance = (PFN_vkCreateInstance)f->gipa(NULL, "vkCreateInstance");
	if (!f->CreateInstance) {
		snprintf(err, errlen, "libvulkan.so.1 has no vkCreateInstance");
		dlclose(f->lib);
		return -ENOENT;
	}
	r = f->CreateInstance(&ci, NULL, &f->inst);
	if (r != VK_SUCCESS) {
		snprintf(err, errlen, "vkCreateInstance: VkResult %d (no Vulkan driver?)", r);
		dlclose(f->lib);
		return -ENODEV;
	}
#define I(name) f->name = (PFN_vk##name)f->gipa(f->inst, "vk" #name)
	I(DestroyInstance); I(EnumeratePhysicalDevices); I(GetPhysicalDeviceProperties);
	I(EnumerateDeviceExtensionProperties); I(GetPhysicalDeviceMemoryProperties);
	I(GetPhysicalDeviceQueueFamilyProperties); I(CreateDevice); I(GetDeviceProcAddr);
#undef I
	return 0;
}

static void vk_close(struct vkfn *f)
{
	if (f->inst && f->DestroyInstance)
		f->DestroyInstance(f->inst, NULL);
	if (f->lib)
		dlclose(f->lib);
	f->inst = NULL;
	f->lib = NULL;
}

static const char *const need_ext[] = {
	VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME,
	VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME,
};

static bool exports(struct vkfn *f, VkPhysicalDevice pd, char *why, size_t len)
{
	VkExtensionProperties *ext;
	uint32_t n = 0, i, k;
	bool have[2] = { false, false };

	if (f->EnumerateDeviceExtensionProperties(pd, NULL, &n, NULL) != VK_SUCCESS)
		n = 0;
	ext = calloc(n ? n : 1, sizeof(*ext));
	if (!ext)
		return false;
	if (f->EnumerateDeviceExtensionProperties(pd, NULL, &n, ext) != VK_SUCCESS)
		n = 0;
	for (i = 0; i < n; i++)
		for (k = 0; k < 2; k++)
			if (!strcmp(ext[i].extensionName, need_ext[k]))
				have[k] = true;
	free(ext);
	for (k = 0; k < 2; k++)
		if (!have[k]) {
			snprintf(why, len, "no %s", need_ext[k]);
			return false;
		}
	why[0] = 0;
	return true;
}

static const char *type_name(VkPhysicalDeviceType t)
{
	switch (t) {
	case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
	case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
	case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
	case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
	default: return "other";
	}
}

static int devices(struct vkfn *f, VkPhysicalDevice *pds, uint32_t *n)
{
	if (f->EnumeratePhysicalDevices(f->inst, n, NULL) != VK_SUCCESS)
		return -ENODEV;
	if (*n > 16)
		*n = 16;
	if (f->EnumeratePhysicalDevices(f->inst, n, pds) < 0)
		return -ENODEV;
	return 0;
}

int vk_probe(struct vk_dev *devs, unsigned int max, unsigned int *n,
	     char *err, size_t errlen)
{
	struct vkfn f;
	VkPhysicalDevice pds[16];
	uint32_t np = 16, i;
	int ret;

	*n = 0;
	ret = vk_open(&f, err, errlen);
	if (ret)
		return ret;
	ret = devices(&f, pds, &np);
	for (i = 0; !ret && i < np && *n < max; i++) {
		VkPhysicalDeviceProperties p;
		struct vk_dev *d = &devs[(*n)++];

		f.GetPhysicalDeviceProperties(pds[i], &p);
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", p.deviceName);
		snprintf(d->type, sizeof(d->type), "%s", type_name(p.deviceType));
		d->vendor = p.vendorID;
		d->device = p.deviceID;
		d->dmabuf_export = exports(&f, pds[i], d->why, sizeof(d->why));
	}
	if (ret)
		snprintf(err, errlen, "vkEnumeratePhysicalDevices failed");
	vk_close(&f);
	return ret;
}

void vk_mem_free(struct vk_mem *m)
{
	if (!m)
		return;
	if (m->dev) {
		if (m->buf)
			m->f.DestroyBuffer(m->dev, m->buf, NULL);
		if (m->mem)
			m->f.FreeMemory(m->dev, m->mem, NULL);
		m->f.DestroyDevice(m->dev, NULL);
	}
	vk_close(&m->f);
	free(m);
}

void *vk_mem_map(struct vk_mem *m)
{
	if (!m || !m->host_visible)
		return NULL;
	if (!m->map && m->f.MapMemory(m->dev, m->mem, 0, VK_WHOLE_SIZE, 0, &m->map) != VK_SUCCESS)
		m->map = NULL;
	return m->map;
}

int vk_mem_new(uint64_t size, struct vk_mem **memp, int *fd, char *desc,
	       size_t desclen, char *err, size_t errlen)
{
	struct vk_mem *m = calloc(1, sizeof(*m));
	VkPhysicalDevice pds[16], pd = VK_NULL_HANDLE;
	VkPhysicalDeviceProperties props;
	VkPhysicalDeviceMemoryProperties mp;
	uint32_t np = 16, i, type = UINT32_MAX;
	char why[128];
	float prio = 1;
	int ret;
	VkResult r;

	*fd = -1;
	if (!m)
		return -ENOMEM;
	ret = vk_open(&m->f, err, errlen);
	if (ret) {
		free(m);
		return ret;
	}
	ret = devices(&m->f, pds, &np);
	for (i = 0; !ret && i < np; i++)
		if (exports(&m->f, pds[i], why, sizeof(why))) {
			pd = pds[i];
			break;
		}
	if (pd == VK_NULL_HANDLE) {
		snprintf(err, errlen, "no Vulkan device exports dma-bufs (%s)",
			 np ? why : "no device");
		vk_mem_free(m);
		return -ENODEV;
	}
	m->f.GetPhysicalDeviceProperties(pd, &props);
	{
		VkDeviceQueueCreateInfo q = {
			.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
			.queueFamilyIndex = 0, .queueCount = 1, .pQueuePriorities = &prio,
		};
		VkDeviceCreateInfo dci = {
			.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
			.queueCreateInfoCount = 1, .pQueueCreateInfos = &q,
			.enabledExtensionCount = 2, .ppEnabledExtensionNames = need_ext,
		};

		r = m->f.CreateDevice(pd, &dci, NULL, &m->dev);
		if (r != VK_SUCCESS) {
			snprintf(err, errlen, "vkCreateDevice: VkResult %d", r);
			m->dev = VK_NULL_HANDLE;
			vk_mem_free(m);
			return -ENODEV;
		}
	}
#define D(name) m->f.name = (PFN_vk##name)m->f.GetDeviceProcAddr(m->dev, "vk" #name)
	D(DestroyDevice); D(CreateBuffer); D(DestroyBuffer); D(GetBufferMemoryRequirements);
	D(AllocateMemory); D(FreeMemory); D(BindBufferMemory); D(MapMemory);
	D(GetMemoryFdKHR);
#undef D
	{
		VkExternalMemoryBufferCreateInfo ext = {
			.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
			.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		};
		VkBufferCreateInfo bci = {
			.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = &ext,
			.size = size,
			.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
				 VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
			.sharingMode = VK_SHARING_MODE_EXCLUSIVE,
		};
		VkMemoryRequirements req;
		VkMemoryDedicatedAllocateInfo ded = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO,
		};
		VkExportMemoryAllocateInfo exp = {
			.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, .pNext = &ded,
			.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		};
		VkMemoryAllocateInfo mai = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &exp,
		};
		VkMemoryGetFdInfoKHR gfd = {
			.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR,
			.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT,
		};
		const char *where = "vkCreateBuffer";

		r = m->f.CreateBuffer(m->dev, &bci, NULL, &m->buf);
		if (r == VK_SUCCESS) {
			m->f.GetBufferMemoryRequirements(m->dev, m->buf, &req);
			m->f.GetPhysicalDeviceMemoryProperties(pd, &mp);
			/* device-local first: the point is GPU memory */
			for (i = 0; i < mp.memoryTypeCount && type == UINT32_MAX; i++)
				if ((req.memoryTypeBits & (1U << i)) &&
				    (mp.memoryTypes[i].propertyFlags &
				     VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
					type = i;
			for (i = 0; i < mp.memoryTypeCount && type == UINT32_MAX; i++)
				if (req.memoryTypeBits & (1U << i))
					type = i;
			ded.buffer = m->buf;
			mai.allocationSize = req.size;
			mai.memoryTypeIndex = type;
			m->host_visible = mp.memoryTypes[type].propertyFlags &
					  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT;
			where = "vkAllocateMemory";
			r = m->f.AllocateMemory(m->dev, &mai, NULL, &m->mem);
		}
		if (r == VK_SUCCESS) {
			where = "vkBindBufferMemory";
			r = m->f.BindBufferMemory(m->dev, m->buf, m->mem, 0);
		}
		if (r == VK_SUCCESS) {
			where = "vkGetMemoryFdKHR";
			gfd.memory = m->mem;
			r = m->f.GetMemoryFdKHR(m->dev, &gfd, fd);
		}
		if (r != VK_SUCCESS) {
			snprintf(err, errlen, "%s: VkResult %d", where, r);
			*fd = -1;
			vk_mem_free(m);
			return r == VK_ERROR_OUT_OF_DEVICE_MEMORY ||
			       r == VK_ERROR_OUT_OF_HOST_MEMORY ? -ENOMEM : -EIO;
		}
		m->size = req.size;
	}
	snprintf(desc, desclen, "Vulkan memory on %.60s (%s%s)", props.deviceName,
		 type_name(props.deviceType),
		 m->host_visible ? ", host-visible" : ", device-local only");
	*memp = m;
	return 0;
}

#else /* no Vulkan headers at build time */

struct vk_mem { int unused; };

int vk_probe(struct vk_dev *devs, unsigned int max, unsigned int *n,
	     char *err, size_t errlen)
{
	(void)devs; (void)max;
	*n = 0;
	snprintf(err, errlen, "built without the Vulkan headers");
	return -ENOENT;
}

int vk_mem_new(uint64_t size, struct vk_mem **mem, int *fd, char *desc,
	       size_t desclen, char *err, size_t errlen)
{
	(void)size; (void)mem; (void)desc; (void)desclen;
	*fd = -1;
	snprintf(err, errlen, "built without the Vulkan headers");
	return -ENOENT;
}

void *vk_mem_map(struct vk_mem *mem)
{
	(void)mem;
	return NULL;
}

void vk_mem_free(struct vk_mem *mem)
{
	(void)mem;
}
#endif
