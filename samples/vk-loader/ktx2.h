/* SPDX-License-Identifier: MIT */
/* A strict KTX2 reader for uncompressed 2D textures (ktx2.c). */
#ifndef VK_LOADER_KTX2_H
#define VK_LOADER_KTX2_H
#include <stdint.h>
#include <stddef.h>

#define KTX2_HEADER_SIZE	80
#define KTX2_LEVEL_ENTRY	24
#define KTX2_MAX_LEVELS		16

struct ktx2_level {
	uint64_t offset, length;	/* in the file */
	uint32_t width, height;
};

struct ktx2_info {
	uint32_t vk_format, type_size, width, height, level_count;
	uint32_t bytes_per_texel;
	uint64_t file_size;
	struct ktx2_level level[KTX2_MAX_LEVELS];
};

/*
 * Parse the KTX2 file fd (its header, level index and data format
 * descriptor; never the image data). 0, or -EINVAL (malformed),
 * -EOPNOTSUPP (valid KTX2 this loader cannot use: supercompression,
 * block-compressed or other formats, 3D, arrays, cube maps) or another
 * -errno from reading, with the reason in why.
 */
int ktx2_parse(int fd, struct ktx2_info *info, char *why, size_t why_len);
/* The deterministic writer used by the asset generator. */
size_t ktx2_write_header(uint8_t *out, uint32_t vk_format, uint32_t w,
			 uint32_t h, uint64_t data_offset);
#endif
