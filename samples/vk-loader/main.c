// SPDX-License-Identifier: MIT
/*
 * vk-loader: stream a small asset set (two KTX2 textures, a mesh, a data
 * blob) from files into GPU memory, draw the textured mesh offscreen into
 * a PNG, and check on the GPU (a compute-shader checksum) that the GPU
 * sees exactly the files' bytes.
 *
 *   vk-loader [--mode direct|compat|staging] [--out FILE.png] [--json FILE]
 *             [--chunk BYTES] ASSET_DIR
 *   vk-loader --check-ktx2 FILE        parse only; print why it is refused
 *
 * direct:  libdmabridge_vk exports Vulkan memory as a dma-buf and the
 *          streamer reads the files into it (the NVMe controller DMAs into
 *          it when the files are on a dmabridge disk); the frame's
 *          submission waits on the streamer's timeline semaphore.
 * compat:  the same with DMABRIDGE_COMPAT=on: libdmabridge's fallback
 *          (O_DIRECT into a bounce buffer, CPU copy into the dma-buf).
 * staging: what engines do today: pread into a host-visible staging buffer,
 *          vkCmdCopyBuffer into device memory.
 * The three must give the same picture. ASSET_DIR comes from
 * vk-loader-gen. Exit status 0 when the checksums match, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"

static const char *const asset_names[N_ASSETS] = {
	"tex0.ktx2", "tex1.ktx2", "mesh.bin", "blob.bin"
};
static const char *const mode_names[] = { "direct", "compat", "staging" };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int check_ktx2(const char *path)
{
	struct ktx2_info k;
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		fprintf(stderr, "vk-loader: %s: %s\n", path, strerror(errno));
		return 1;
	}
	ret = ktx2_parse(fd, &k, why, sizeof(why));
	close(fd);
	if (ret) {
		printf("%s: refused (%s): %s\n", path, strerror(-ret), why);
		return 1;
	}
	printf("%s: ok, vkFormat %u, %ux%u, %u level(s), level 0 at %llu+%llu\n", path,
	       k.vk_format, k.width, k.height, k.level_count,
	       (unsigned long long)k.level[0].offset, (unsigned long long)k.level[0].length);
	return 0;
}

/* Open and plan the assets: each at a 4 KiB multiple in the buffer. */
static int open_assets(struct app *a)
{
	char path[4096], why[256];
	uint64_t off = 0;
	int i, ret;

	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];

		s->name = asset_names[i];
		s->is_tex = i < N_TEX;
		snprintf(path, sizeof(path), "%s/%s", a->dir, s->name);
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			fprintf(stderr, "vk-loader: %s: %s\n", path, strerror(errno));
			return -errno;
		}
		if (s->is_tex) {
			ret = ktx2_parse(s->fd, &s->ktx, why, sizeof(why));
			if (ret) {
				fprintf(stderr, "vk-loader: %s: %s\n", path, why);
				return ret;
			}
			if (s->ktx.vk_format != 37) {
				fprintf(stderr, "vk-loader: %s: vkFormat %u, this sample "
					"draws R8G8B8A8_UNORM (37) only\n", path, s->ktx.vk_format);
				return -EOPNOTSUPP;
			}
			s->file_off = s->ktx.level[0].offset;
			s->len = s->ktx.level[0].length;
		} else {
			s->file_off = 0;
			s->len = (uint64_t)lseek(s->fd, 0, SEEK_END);
			if (!s->len || s->len % 4) {
				fprintf(stderr, "vk-loader: %s: %llu bytes, want a non-zero "
					"multiple of 4\n", path, (unsigned long long)s->len);
				return -EINVAL;
			}
		}
		/* keep buffer and file offsets equal mod 4 KiB: direct-able */
		s->buf_off = off + s->file_off % 4096;
		off = (s->buf_off + s->len + 4095) & ~4095ULL;
		a->bytes += s->len;
		if (a->mode != MODE_STAGING) {
			struct dmab_file_info fi;

			ret = dmab_file_adopt(a->ctx, s->fd, &s->file);
			if (ret) {
				fprintf(stderr, "vk-loader: dmab_file_adopt(%s): %s\n", path,
					strerror(-ret));
				return ret;
			}
			dmab_file_info(s->file, &fi);
			s->file_reason = fi.read_reason;
		}
	}
	a->total = off;
	return 0;
}

static const VkBufferUsageFlags asset_usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
	VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
	VK_BUFFER_USAGE_VERTEX_BUFFER_BIT;

static int asset_buffer(struct app *a)
{
	struct dmab_vk_status st = { 0 };
	int ret;

	if (a->mode == MODE_STAGING) {
		ret = alloc_buffer(a, a->total, asset_usage,
				   VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &a->abuf, &a->abuf_mem);
		if (!ret)
			ret = alloc_buffer(a, a->total, VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
					   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
					   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
					   &a->stage, &a->stage_mem);
		if (!ret && vkMapMemory(a->dev, a->stage_mem, 0, VK_WHOLE_SIZE, 0,
					&a->stage_map) != VK_SUCCESS)
			ret = vk_fail("vkMapMemory(staging)", VK_ERROR_MEMORY_MAP_FAILED);
		return ret;
	}
	ret = dmab_vk_mem_alloc(a->ctx, a->pd, a->dev, a->total, asset_usage,
				VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, DMAB_BUF_READ,
				&a->mem, &st);
	if (ret) {
		fprintf(stderr, "vk-loader: exportable asset memory: %s (%s)\n", st.what,
			strerror(-ret));
		return ret;
	}
	a->abuf = a->mem->buffer;
	return dmab_vk_streamer_new(a->ctx, a->dev, 0, &a->streamer, &st) ?
	       (fprintf(stderr, "vk-loader: streamer: %s\n", st.what), st.error) : 0;
}

static void on_completion(void *arg, const struct dmab_completion *c)
{
	struct app *a = arg;
	struct asset *s;

	if (c->op != DMAB_OP_READ || c->tag >= N_ASSETS)
		return;
	s = &a->as[c->tag];
	pthread_mutex_lock(&a->lock);
	s->direct += c->direct_bytes;
	s->compat += c->compat_bytes;
	s->reasons |= c->reasons;
	pthread_mutex_unlock(&a->lock);
}

/*
 * Streamer modes: enqueue every asset in chunks, then a signal of 1, and
 * submit the frame at once: its submission waits for the semaphore on the
 * GPU, the render thread never waits for the files.
 */
static int load_streamed(struct app *a, uint64_t chunk)
{
	struct dmab_vk_stream_stats st;
	uint64_t o;
	int i, ret;

	dmab_vk_streamer_set_callback(a->streamer, on_completion, a);
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];

		for (o = 0; o < s->len; o += chunk) {
			uint64_t n = s->len - o < chunk ? s->len - o : chunk;

			ret = dmab_vk_streamer_read(a->streamer, s->file, a->mem->buf,
						    s->buf_off + o, s->file_off + o, n,
						    (uint64_t)i);
			if (ret) {
				fprintf(stderr, "vk-loader: dmab_queue_read(%s): %s\n",
					s->name, strerror(-ret));
				return ret;
			}
		}
	}
	ret = dmab_vk_streamer_signal(a->streamer, 1);
	if (ret)
		return ret;
	ret = gpu_submit_render(a, 1);
	if (ret)
		return ret;
	ret = dmab_vk_streamer_wait(a->streamer, 1, 60ULL * 1000000000ULL);
	if (ret) {
		fprintf(stderr, "vk-loader: waiting for the assets: %s\n", strerror(-ret));
		return ret;
	}
	ret = dmab_vk_streamer_stats(a->streamer, &st);
	if (!ret && st.failed) {
		fprintf(stderr, "vk-loader: %u read(s) failed; first: tag %llu at file "
			"offset %llu: %s\n", st.failed, (unsigned long long)st.error.tag,
			(unsigned long long)st.error.error_offset, strerror(-st.error.error));
		ret = st.error.error ? st.error.error : -EIO;
	}
	a->cpu_copied = st.compat_bytes;
	return ret;
}

/* Staging: pread into the staging buffer, then one vkCmdCopyBuffer. */
static int load_staging(struct app *a)
{
	int i, ret;

	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];
		uint64_t done = 0;

		while (done < s->len) {
			ssize_t n = pread(s->fd, (char *)a->stage_map + s->buf_off + done,
					  s->len - done, (off_t)(s->file_off + done));
			if (n <= 0) {
				fprintf(stderr, "vk-loader: pread(%s): %s\n", s->name,
					n ? strerror(errno) : "end of file");
				return n ? -errno : -EIO;
			}
			done += (uint64_t)n;
		}
	}
	a->cpu_copied = a->bytes;
	ret = gpu_copy_staging(a);
	return ret ? ret : gpu_submit_render(a, 0);
}

/* The checksum the compute shader computes, from the file (not the GPU). */
static int cpu_checksum(struct asset *s)
{
	uint32_t *w = malloc(s->len);
	uint64_t j;

	if (!w)
		return -ENOMEM;
	if (pread(s->fd, w, s->len, (off_t)s->file_off) != (ssize_t)s->len) {
		free(w);
		return -EIO;
	}
	s->cpu_sum[0] = s->cpu_sum[1] = 0;
	for (j = 0; j < s->len / 4; j++) {
		s->cpu_sum[0] += w[j] * (uint32_t)(2 * j + 1);
		s->cpu_sum[1] ^= w[j];
	}
	free(w);
	return 0;
}

static int write_png(struct app *a)
{
	png_structp p;
	png_infop info;
	png_bytep rows[RT];
	FILE *f = fopen(a->png, "wb");
	int y;

	if (!f) {
		fprintf(stderr, "vk-loader: %s: %s\n", a->png, strerror(errno));
		return -errno;
	}
	p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = p ? png_create_info_struct(p) : NULL;
	if (!info || setjmp(png_jmpbuf(p))) {
		png_destroy_write_struct(&p, &info);
		fclose(f);
		fprintf(stderr, "vk-loader: libpng failed writing %s\n", a->png);
		return -EIO;
	}
	png_init_io(p, f);
	png_set_IHDR(p, info, RT, RT, 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	for (y = 0; y < RT; y++)
		rows[y] = (png_bytep)a->readback_map + (size_t)y * RT * 4;
	png_set_rows(p, info, rows);
	png_write_png(p, info, PNG_TRANSFORM_IDENTITY, NULL);
	png_destroy_write_struct(&p, &info);
	return fclose(f) ? -errno : 0;
}

static const char *asset_path(struct app *a, struct asset *s, char *buf, size_t n)
{
	if (a->mode == MODE_STAGING)
		return "staging (pread + vkCmdCopyBuffer)";
	if (!s->compat)
		return "direct";
	snprintf(buf, n, "%s (%s: %s)", s->direct ? "direct+compat" : "compat",
		 dmab_reason_name(s->reasons & (1U << s->file_reason) ? (int)s->file_reason :
				  __builtin_ctz(s->reasons | 1U << 31)),
		 dmab_strerror(s->reasons & (1U << s->file_reason) ? (int)s->file_reason :
			       __builtin_ctz(s->reasons | 1U << 31)));
	return buf;
}

static int report(struct app *a, int sums_ok)
{
	double mib = a->bytes / 1048576.0;
	char buf[256];
	FILE *j = NULL;
	int i;

	printf("vk-loader: mode %s on %s\n", mode_names[a->mode], a->props.deviceName);
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];

		printf("  %-10s %9llu bytes from file offset %-5llu -> %s\n", s->name,
		       (unsigned long long)s->len, (unsigned long long)s->file_off,
		       asset_path(a, s, buf, sizeof(buf)));
		if (a->mode != MODE_STAGING)
			printf("  %-10s %9llu direct, %llu compat; file: %s\n", "",
			       (unsigned long long)s->direct, (unsigned long long)s->compat,
			       s->file_reason ? dmab_strerror((int)s->file_reason) : "direct path");
	}
	printf("load: %.2f MiB in %.1f ms (%.1f MiB/s), CPU time %.1f ms, "
	       "CPU-copied bytes %llu\n", mib, a->t_load * 1e3, mib / a->t_load,
	       a->cpu_load * 1e3, (unsigned long long)a->cpu_copied);
	printf("first pixel: %.1f ms after the first read was enqueued\n",
	       a->t_first_pixel * 1e3);
	printf("checksum: %s\n", sums_ok ? "GPU == file for every asset" : "MISMATCH");
	printf("picture: %s\n", a->png);
	if (!a->json)
		return 0;
	j = fopen(a->json, "w");
	if (!j)
		return -errno;
	fprintf(j, "{\"mode\": \"%s\", \"device\": \"%s\", \"bytes\": %llu, "
		"\"load_ms\": %.3f, \"mib_per_s\": %.2f, \"first_pixel_ms\": %.3f, "
		"\"cpu_ms\": %.3f, \"cpu_copied_bytes\": %llu, \"checksum_ok\": %s, "
		"\"png\": \"%s\", \"assets\": [", mode_names[a->mode], a->props.deviceName,
		(unsigned long long)a->bytes, a->t_load * 1e3, mib / a->t_load,
		a->t_first_pixel * 1e3, a->cpu_load * 1e3,
		(unsigned long long)a->cpu_copied, sums_ok ? "true" : "false", a->png);
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];

		fprintf(j, "%s{\"name\": \"%s\", \"bytes\": %llu, \"direct_bytes\": %llu, "
			"\"compat_bytes\": %llu, \"reasons\": [", i ? ", " : "", s->name,
			(unsigned long long)s->len, (unsigned long long)s->direct,
			(unsigned long long)s->compat);
		for (int r = 0, first = 1; r < 32; r++)
			if (s->reasons & 1U << r) {
				fprintf(j, "%s\"%s\"", first ? "" : ", ", dmab_reason_name(r));
				first = 0;
			}
		fprintf(j, "], \"gpu_checksum\": [%u, %u]}", s->gpu_sum[0], s->gpu_sum[1]);
	}
	fprintf(j, "]}\n");
	return fclose(j) ? -errno : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vk-loader [--mode direct|compat|staging] [--out FILE.png] "
		"[--json FILE] [--chunk BYTES] ASSET_DIR\n"
		"       vk-loader --check-ktx2 FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct app a = { .mode = MODE_DIRECT, .png = "vk-loader.png" };
	struct dmab_ctx_opts o = { .size = sizeof(o) };
	uint64_t chunk = 1 << 20;
	double t0, c0;
	int i, ret, sums_ok = 1;

	for (i = 1; i < argc - 1 && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--check-ktx2"))
			return check_ktx2(argv[i + 1]);
		if (!strcmp(argv[i], "--mode")) {
			for (a.mode = 0; a.mode < 3; a.mode++)
				if (!strcmp(argv[i + 1], mode_names[a.mode]))
					break;
			if (a.mode == 3)
				return usage();
		} else if (!strcmp(argv[i], "--out")) {
			a.png = argv[i + 1];
		} else if (!strcmp(argv[i], "--json")) {
			a.json = argv[i + 1];
		} else if (!strcmp(argv[i], "--chunk")) {
			chunk = strtoull(argv[i + 1], NULL, 0);
			if (!chunk || chunk % 4096)
				return usage();
		} else {
			return usage();
		}
	}
	if (i != argc - 1)
		return usage();
	a.dir = argv[i];
	pthread_mutex_init(&a.lock, NULL);
	if (a.mode == MODE_COMPAT) {
		o.set = DMAB_OPT_COMPAT;
		o.compat = DMAB_COMPAT_ON;
	}
	ret = a.mode == MODE_STAGING ? 0 : dmab_ctx_new(&o, &a.ctx);
	if (ret) {
		fprintf(stderr, "vk-loader: dmab_ctx_new: %s\n", strerror(-ret));
		return 1;
	}
	if ((ret = open_assets(&a)) || (ret = gpu_init(&a)) || (ret = asset_buffer(&a)) ||
	    (ret = gpu_resources(&a)) || (ret = gpu_record(&a)))
		goto out;
	t0 = now();
	c0 = cpu_seconds();
	ret = a.mode == MODE_STAGING ? load_staging(&a) : load_streamed(&a, chunk);
	a.t_load = now() - t0;
	a.cpu_load = cpu_seconds() - c0;
	if (ret)
		goto out;
	if (vkWaitForFences(a.dev, 1, &a.fence, VK_TRUE, UINT64_MAX) != VK_SUCCESS) {
		ret = vk_fail("vkWaitForFences(frame)", VK_ERROR_DEVICE_LOST);
		goto out;
	}
	a.t_first_pixel = now() - t0;
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a.as[i];

		memcpy(s->gpu_sum, (uint32_t *)a.sums_map + 2 * i, 8);
		ret = cpu_checksum(s);
		if (ret)
			goto out;
		if (memcmp(s->gpu_sum, s->cpu_sum, 8)) {
			fprintf(stderr, "vk-loader: %s: GPU checksum %08x:%08x, file %08x:%08x\n",
				s->name, s->gpu_sum[0], s->gpu_sum[1], s->cpu_sum[0],
				s->cpu_sum[1]);
			sums_ok = 0;
		}
	}
	ret = write_png(&a);
	if (!ret)
		ret = report(&a, sums_ok);
out:
	if (a.streamer)
		dmab_vk_streamer_free(a.streamer);
	gpu_fini(&a);
	for (i = 0; i < N_ASSETS; i++) {
		if (a.as[i].file)
			dmab_file_close(a.as[i].file);
		if (a.as[i].fd > 0)
			close(a.as[i].fd);
	}
	if (a.ctx)
		dmab_ctx_free(a.ctx);
	return ret || !sums_ok;
}
