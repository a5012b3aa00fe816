// SPDX-License-Identifier: MIT
/*
 * vk-loader-gen: the loader's deterministic asset set.
 *
 *   vk-loader-gen DIR [BLOB_MIB]     tex0.ktx2 tex1.ktx2 (256x256 RGBA8),
 *                                    mesh.bin (two quads, zero-padded
 *                                    to 4 KiB), blob.bin
 *                                    (BLOB_MIB MiB, default 4, of
 *                                    pseudo-random words)
 *   vk-loader-gen --bad KIND FILE    a KTX2 file the loader must refuse:
 *                                    supercompression, bc, level
 *
 * Nothing random: the same command writes the same bytes, so PNGs and
 * checksums are comparable across runs and machines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ktx2.h"

#define TEX 256
#define DATA_OFF 4096

static int write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s%s", dir, *dir ? "/" : "", name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "vk-loader-gen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* texture k: a checkerboard in one hue over a gradient in another */
static uint8_t *texture(int k, size_t *len)
{
	uint8_t *o = calloc(1, DATA_OFF + TEX * TEX * 4);
	uint8_t *px;
	int x, y;

	if (!o)
		return NULL;
	ktx2_write_header(o, 37, TEX, TEX, DATA_OFF);
	px = o + DATA_OFF;
	for (y = 0; y < TEX; y++)
		for (x = 0; x < TEX; x++) {
			int check = ((x >> 5) ^ (y >> 5)) & 1;
			uint8_t *p = px + (y * TEX + x) * 4;

			p[0] = (uint8_t)(k ? (check ? 240 : x) : (check ? 30 : 255 - y));
			p[1] = (uint8_t)(k ? y : (check ? 200 : 40));
			p[2] = (uint8_t)(k ? (check ? 60 : 255 - x) : x ^ y);
			p[3] = 255;
		}
	*len = DATA_OFF + TEX * TEX * 4;
	return o;
}

static int bad(const char *kind, const char *file)
{
	size_t len;
	uint8_t *t = texture(0, &len);
	uint64_t off = 1ULL << 40;
	uint32_t v;

	if (!t)
		return 1;
	if (!strcmp(kind, "supercompression")) {
		v = 2;	/* Zstandard */
		memcpy(t + 44, &v, 4);
	} else if (!strcmp(kind, "bc")) {
		v = 145;	/* VK_FORMAT_BC7_UNORM_BLOCK */
		memcpy(t + 12, &v, 4);
	} else if (!strcmp(kind, "level")) {
		memcpy(t + 80, &off, 8);	/* level 0 far past the end */
	} else {
		fprintf(stderr, "vk-loader-gen: --bad supercompression|bc|level\n");
		return 2;
	}
	return write_file("", file, t, len) ? 1 : 0;
}

int main(int argc, char **argv)
{
	/* two quads: x, y, u, v per vertex, two triangles each */
	static const float q[2][4] = { { -0.9f, -0.9f, 0.4f, 0.4f },
				       { -0.3f, -0.3f, 0.9f, 0.9f } };
	/* 4 KiB: one block, so a direct read takes it whole (no compat edge) */
	static float mesh[256][4];
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	size_t len, i, n;
	uint32_t *blob;
	uint8_t *t;
	int k;

	if (argc == 4 && !strcmp(argv[1], "--bad"))
		return bad(argv[2], argv[3]);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: vk-loader-gen DIR [BLOB_MIB] | --bad KIND FILE\n");
		return 2;
	}
	for (k = 0; k < 2; k++) {
		char name[16];

		t = texture(k, &len);
		snprintf(name, sizeof(name), "tex%d.ktx2", k);
		if (!t || write_file(argv[1], name, t, len))
			return 1;
		free(t);
		{
			const float *r = q[k];
			const float v[6][4] = {
				{ r[0], r[1], 0, 0 }, { r[2], r[1], 1, 0 }, { r[2], r[3], 1, 1 },
				{ r[0], r[1], 0, 0 }, { r[2], r[3], 1, 1 }, { r[0], r[3], 0, 1 },
			};
			memcpy(mesh[6 * k], v, sizeof(v));
		}
	}
	if (write_file(argv[1], "mesh.bin", mesh, sizeof(mesh)))
		return 1;
	n = (argc == 3 ? strtoul(argv[2], NULL, 0) : 4) << 18;	/* words */
	blob = malloc(n * 4);
	if (!blob)
		return 1;
	for (i = 0; i < n; i++) {	/* xorshift64 */
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		blob[i] = (uint32_t)(s >> 16);
	}
	return write_file(argv[1], "blob.bin", blob, n * 4) ? 1 : 0;
}
