// SPDX-License-Identifier: MIT
/*
 * A strict KTX2 reader (Khronos KTX File Format Specification 2.0) for the
 * textures the loader streams: uncompressed 8-bit RGBA/BGRA, 2D, no array
 * layers or faces, no supercompression. Everything the header and index
 * claim is checked against the file before a byte of image data is read,
 * so a bad file is an error message, never a read past its end or a copy
 * of the wrong size into GPU memory.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ktx2.h"

static const uint8_t ktx2_id[12] = {
	0xAB, 'K', 'T', 'X', ' ', '2', '0', 0xBB, '\r', '\n', 0x1A, '\n'
};

static int fail(char *why, size_t n, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return err;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int texel_size(uint32_t f)
{
	switch (f) {
	case 37: case 43:	/* VK_FORMAT_R8G8B8A8_UNORM, _SRGB */
	case 44: case 50:	/* VK_FORMAT_B8G8R8A8_UNORM, _SRGB */
		return 4;
	}
	return 0;
}

static const char *block_compressed(uint32_t f)
{
	if (f >= 131 && f <= 146)
		return "BC";
	if (f >= 147 && f <= 156)
		return "ETC2/EAC";
	if (f >= 157 && f <= 184)
		return "ASTC";
	if (f >= 1000054000 && f <= 1000054007)
		return "PVRTC";
	return NULL;
}

static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int ktx2_parse(int fd, struct ktx2_info *in, char *why, size_t n)
{
	uint8_t h[KTX2_HEADER_SIZE + KTX2_MAX_LEVELS * KTX2_LEVEL_ENTRY];
	uint32_t scheme, levels, dfd_off, dfd_len, kvd_off, kvd_len, i;
	uint64_t sgd_off, sgd_len, index_end;
	const char *bc;
	struct stat st;
	ssize_t got;
	uint8_t dfd_total[4];

	memset(in, 0, sizeof(*in));
	if (fstat(fd, &st))
		return fail(why, n, -errno, "fstat: %s", strerror(errno));
	in->file_size = (uint64_t)st.st_size;
	got = pread(fd, h, sizeof(h), 0);
	if (got < 0)
		return fail(why, n, -errno, "read: %s", strerror(errno));
	if (got < KTX2_HEADER_SIZE || memcmp(h, ktx2_id, sizeof(ktx2_id)))
		return fail(why, n, -EINVAL, "not a KTX2 file (identifier)");
	in->vk_format = le32(h + 12);
	in->type_size = le32(h + 16);
	in->width = le32(h + 20);
	in->height = le32(h + 24);
	scheme = le32(h + 44);
	levels = le32(h + 40);
	if (scheme)
		return fail(why, n, -EOPNOTSUPP,
			    "supercompression scheme %u (%s) not supported: "
			    "the loader streams file bytes straight to the GPU", scheme,
			    scheme == 1 ? "BasisLZ" : scheme == 2 ? "Zstandard" :
			    scheme == 3 ? "ZLIB" : "unknown");
	bc = block_compressed(in->vk_format);
	if (bc)
		return fail(why, n, -EOPNOTSUPP,
			    "block-compressed format %u (%s) not supported: "
			    "only uncompressed RGBA8/BGRA8", in->vk_format, bc);
	if (!in->vk_format)
		return fail(why, n, -EOPNOTSUPP,
			    "vkFormat 0 (VK_FORMAT_UNDEFINED, needs transcoding) not supported");
	in->bytes_per_texel = (uint32_t)texel_size(in->vk_format);
	if (!in->bytes_per_texel)
		return fail(why, n, -EOPNOTSUPP,
			    "vkFormat %u not supported: only RGBA8/BGRA8 (37, 43, 44, 50)",
			    in->vk_format);
	if (in->type_size != 1)
		return fail(why, n, -EINVAL, "typeSize %u, want 1 for 8-bit formats",
			    in->type_size);
	if (!in->width || !in->height || in->width > 16384 || in->height > 16384)
		return fail(why, n, -EINVAL, "bad size %ux%u", in->width, in->height);
	if (le32(h + 28) || le32(h + 32) || le32(h + 36) != 1)
		return fail(why, n, -EOPNOTSUPP,
			    "only 2D textures (pixelDepth %u, layerCount %u, faceCount %u)",
			    le32(h + 28), le32(h + 32), le32(h + 36));
	in->level_count = levels ? levels : 1;
	if (in->level_count > KTX2_MAX_LEVELS ||
	    ((in->width >> (in->level_count - 1)) == 0 &&
	     (in->height >> (in->level_count - 1)) == 0))
		return fail(why, n, -EINVAL, "levelCount %u too large for %ux%u",
			    levels, in->width, in->height);
	index_end = KTX2_HEADER_SIZE + (uint64_t)in->level_count * KTX2_LEVEL_ENTRY;
	if ((uint64_t)got < index_end)
		return fail(why, n, -EINVAL, "file ends inside the level index");
	dfd_off = le32(h + 48);
	dfd_len = le32(h + 52);
	kvd_off = le32(h + 56);
	kvd_len = le32(h + 60);
	sgd_off = le64(h + 64);
	sgd_len = le64(h + 72);
	if (!dfd_len || dfd_off < index_end || !in_file(dfd_off, dfd_len, in->file_size))
		return fail(why, n, -EINVAL, "data format descriptor at %u+%u outside the file",
			    dfd_off, dfd_len);
	if (pread(fd, dfd_total, 4, dfd_off) != 4 || le32(dfd_total) != dfd_len)
		return fail(why, n, -EINVAL, "dfdTotalSize disagrees with dfdByteLength %u",
			    dfd_len);
	if (kvd_len && (kvd_off < index_end || !in_file(kvd_off, kvd_len, in->file_size)))
		return fail(why, n, -EINVAL, "key/value data at %u+%u outside the file",
			    kvd_off, kvd_len);
	if (sgd_len || sgd_off)
		return fail(why, n, -EINVAL,
			    "supercompression global data without a scheme");
	for (i = 0; i < in->level_count; i++) {
		const uint8_t *e = h + KTX2_HEADER_SIZE + i * KTX2_LEVEL_ENTRY;
		struct ktx2_level *l = &in->level[i];
		uint64_t want;

		l->offset = le64(e);
		l->length = le64(e + 8);
		l->width = in->width >> i ? in->width >> i : 1;
		l->height = in->height >> i ? in->height >> i : 1;
		want = (uint64_t)l->width * l->height * in->bytes_per_texel;
		if (le64(e + 16) != l->length)
			return fail(why, n, -EINVAL,
				    "level %u: uncompressedByteLength %llu != byteLength %llu",
				    i, (unsigned long long)le64(e + 16),
				    (unsigned long long)l->length);
		if (l->length != want)
			return fail(why, n, -EINVAL,
				    "level %u: byteLength %llu, a %ux%u level has %llu bytes",
				    i, (unsigned long long)l->length, l->width, l->height,
				    (unsigned long long)want);
		if (l->offset < index_end || l->offset % 4 ||
		    !in_file(l->offset, l->length, in->file_size))
			return fail(why, n, -EINVAL,
				    "level %u: data at %llu+%llu outside the file (%llu bytes) "
				    "or misaligned", i, (unsigned long long)l->offset,
				    (unsigned long long)l->length,
				    (unsigned long long)in->file_size);
	}
	return 0;
}

/*
 * Header, one level's index entry, a basic data format descriptor for
 * R8G8B8A8_UNORM and key/value data padding the level to data_offset
 * (a multiple of the disk's block size, so the direct path can take it).
 * Returns the bytes written (data_offset), 0 if it does not fit.
 */
size_t ktx2_write_header(uint8_t *o, uint32_t fmt, uint32_t w, uint32_t h,
			 uint64_t data_offset)
{
	static const char writer[] = "KTXwriter\0dmabridge vk-loader-gen";
	static const char pad_key[] = "dmabridge.pad";
	uint32_t dfd_off = KTX2_HEADER_SIZE + KTX2_LEVEL_ENTRY, dfd_len = 92;
	uint32_t kvd_off = dfd_off + dfd_len, kvd_len, e1, e2;
	uint64_t len = (uint64_t)w * h * 4;
	uint8_t *p;
	int c;

#define W32(at, v) do { uint32_t v_ = (v); memcpy(o + (at), &v_, 4); } while (0)
#define W64(at, v) do { uint64_t v_ = (v); memcpy(o + (at), &v_, 8); } while (0)
	if (data_offset < kvd_off + 128)
		return 0;
	memset(o, 0, data_offset);
	memcpy(o, ktx2_id, 12);
	W32(12, fmt); W32(16, 1); W32(20, w); W32(24, h);
	W32(36, 1); W32(40, 1);
	kvd_len = (uint32_t)(data_offset - kvd_off);
	W32(48, dfd_off); W32(52, dfd_len); W32(56, kvd_off); W32(60, kvd_len);
	W64(80, data_offset); W64(88, len); W64(96, len);
	/* DFD: total size, basic block (RGBSDA, BT.709, linear), 4 samples */
	p = o + dfd_off;
	memcpy(p, &dfd_len, 4);
	W32(dfd_off + 4, 0);
	W32(dfd_off + 8, 2 | 88U << 16);
	W32(dfd_off + 12, 1 | 1 << 8 | 1 << 16);
	W32(dfd_off + 20, 4);
	for (c = 0; c < 4; c++) {
		uint32_t id = c == 3 ? 15 : (uint32_t)c;

		W32(dfd_off + 28 + 16 * c, (uint32_t)c * 8 | 7 << 16 | id << 24);
		W32(dfd_off + 28 + 16 * c + 12, 255);
	}
	/* KVD: the writer, then padding up to the level's data */
	e1 = sizeof(writer);
	W32(kvd_off, e1);
	memcpy(o + kvd_off + 4, writer, e1);
	e1 = (4 + e1 + 3) & ~3U;
	e2 = kvd_len - e1;	/* a multiple of 4: all offsets are */
	W32(kvd_off + e1, e2 - 4);
	memcpy(o + kvd_off + e1 + 4, pad_key, sizeof(pad_key));
#undef W32
#undef W64
	return data_offset;
}
