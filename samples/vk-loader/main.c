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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loader.h"

static const char *const asset_names[N_ASSETS] = {
	"tex0.ktx2", "tex1.ktx2", "mesh.bin", "blob.bin"
};
static const char *const mode_names[] = { "direct", "compat", "staging" };

static double t_process;	/* now() when main started */

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

/*
 * CPU time of the threads doing the loading, in seconds: the main thread
 * (enqueueing, pread), libdmabridge_vk's completion thread
 * ("dmab-vk-stream") and io_uring's workers ("iou-*"). Not the Vulkan
 * driver's threads: on lavapipe the GPU's work (the staging copy, the
 * frame drawn while the rest loads) runs on the CPU, and a GPU would do it
 * itself. From /proc/self/task/<tid>/schedstat (ns on the CPU).
 */
static double loader_cpu_seconds(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double sum = 0;
	char path[300], comm[32];
	unsigned long long ns;
	FILE *f;
	int main_tid = getpid();

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (atoi(e->d_name) != main_tid && strncmp(comm, "dmab-vk-stream", 14) &&
		    strncmp(comm, "iou-", 4))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			sum += ns / 1e9;
		fclose(f);
	}
	closedir(d);
	return sum;
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
		{
			struct stat sb;

			if (fstat(s->fd, &sb))
				return -errno;
			snprintf(s->file_id, sizeof(s->file_id), "%llu:%llu:%lld.%09ld:%lld",
				 (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino,
				 (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
				 (long long)sb.st_size);
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
		/* a long-lived staging buffer: its pages are there before the load */
		if (!ret)
			memset(a->stage_map, 0, a->total);
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
	ret = dmab_vk_streamer_new(a->ctx, a->dev, 0, &a->streamer, &st);
	if (ret) {
		fprintf(stderr, "vk-loader: streamer: %s\n", st.what);
		return ret;
	}
	dmab_vk_streamer_set_callback(a->streamer, on_completion, a);
	a->sem = dmab_vk_streamer_semaphore(a->streamer);
	/*
	 * Prime the buffer as an engine's long-lived streaming memory is: one
	 * block read through the library, so that its one-time costs (the
	 * module's token for the dma-buf and the IOMMU mapping of all of it
	 * on the direct path) are paid in the set-up, not in the first load.
	 * The load then overwrites the block.
	 */
	{
		struct asset *m = &a->as[N_FRAME - 1];
		struct dmab_result res;

		ret = dmab_read(m->file, a->mem->buf, m->buf_off, m->file_off, 4096, &res);
		if (ret) {
			fprintf(stderr, "vk-loader: priming the asset memory (dmab_read of "
				"%s): %s\n", m->name, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/*
 * The host's view of the load, from two threads that block (no polling,
 * no CPU time taken from the load): one waits for the semaphore to reach
 * each asset's value and notes when (the asset's ready time), the other
 * for the frame's fence (the time to first pixel).
 */
struct watch {
	struct app *a;
	int frame;		/* the frame's fence, else the semaphore */
	double t0;
	volatile int stop;
	pthread_t thread;
};

static void *watcher(void *arg)
{
	struct watch *w = arg;
	struct app *a = w->a;
	uint64_t v = 1;
	VkResult r;

	while (!w->stop) {
		VkSemaphoreWaitInfo wi = {
			.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
			.semaphoreCount = 1, .pSemaphores = &a->sem, .pValues = &v,
		};

		r = w->frame ? vkWaitForFences(a->dev, 1, &a->frame_fence, VK_TRUE,
					       50 * 1000000ULL) :
			       vkWaitSemaphores(a->dev, &wi, 50 * 1000000ULL);
		if (r == VK_TIMEOUT)
			continue;
		if (r != VK_SUCCESS)
			break;
		if (w->frame) {
			a->t_first_pixel = now() - w->t0;
			break;
		}
		a->as[v - 1].t_ready = now() - w->t0;
		if (++v > N_ASSETS)
			break;
	}
	return NULL;
}

static int watch_start(struct watch *w, struct app *a, int frame, double t0)
{
	w->a = a;
	w->frame = frame;
	w->t0 = t0;
	w->stop = 0;
	return -pthread_create(&w->thread, NULL, watcher, w);
}

/*
 * Streamer modes: every asset in chunks, each followed by a signal of its
 * value (asset i: i + 1). The frame is submitted as soon as the signal of
 * the last asset it needs is enqueued, the checksums after the last: both
 * wait for their value on the GPU, the render thread never waits for the
 * files. Only submitted once the value they wait for is enqueued, so
 * everything submitted completes even when a read fails.
 */
static int load_streamed(struct app *a, uint64_t chunk)
{
	struct dmab_vk_stream_stats st;
	uint64_t o;
	int i, ret;

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
		ret = dmab_vk_streamer_signal(a->streamer, (uint64_t)i + 1);
		if (ret) {
			fprintf(stderr, "vk-loader: dmab_queue_signal(%d): %s\n", i + 1,
				strerror(-ret));
			return ret;
		}
		if (i + 1 == N_FRAME &&
		    (ret = gpu_submit(a, a->frame_cb, N_FRAME, 0, a->frame_fence)))
			return ret;
	}
	ret = gpu_submit(a, a->sums_cb, N_ASSETS, 0, a->sums_fence);
	if (ret)
		return ret;
	ret = dmab_vk_streamer_wait(a->streamer, N_ASSETS, 600ULL * 1000000000ULL);
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

/*
 * Staging, what engines do today: per asset, pread into the host-visible
 * staging buffer and a vkCmdCopyBuffer to the device buffer that signals
 * the asset's value; the frame and the checksums are submitted as in the
 * streamer modes.
 */
static int load_staging(struct app *a)
{
	VkSemaphoreWaitInfo wi = {
		.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO,
		.semaphoreCount = 1, .pSemaphores = &a->sem,
	};
	uint64_t last = N_ASSETS;
	VkResult r;
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
		ret = gpu_submit(a, a->copy_cb[i], 0, (uint64_t)i + 1, VK_NULL_HANDLE);
		if (!ret && i + 1 == N_FRAME)
			ret = gpu_submit(a, a->frame_cb, N_FRAME, 0, a->frame_fence);
		if (ret)
			return ret;
	}
	a->cpu_copied = a->bytes;
	ret = gpu_submit(a, a->sums_cb, N_ASSETS, 0, a->sums_fence);
	if (ret)
		return ret;
	wi.pValues = &last;
	r = vkWaitSemaphores(a->dev, &wi, UINT64_MAX);
	return r == VK_SUCCESS ? 0 : vk_fail("vkWaitSemaphores(staging copies)", r);
}

/* The checksum the compute shader computes, from the file (not the GPU). */
static int file_checksum(struct asset *s)
{
	static uint32_t w[1 << 18];
	uint64_t j = 0, off = 0;

	s->file_sum[0] = s->file_sum[1] = 0;
	while (off < s->len) {
		size_t want = s->len - off < sizeof(w) ? s->len - off : sizeof(w);
		ssize_t n = pread(s->fd, w, want, (off_t)(s->file_off + off));
		size_t k;

		if (n != (ssize_t)want)
			return n < 0 ? -errno : -EIO;
		for (k = 0; k < want / 4; k++, j++) {
			s->file_sum[0] += w[k] * (uint32_t)(2 * j + 1);
			s->file_sum[1] ^= w[k];
		}
		off += want;
	}
	return 0;
}

/*
 * --file-sums FILE: the file checksums of an earlier run's JSON summary, for
 * the assets that are the same files (device, inode, modification time and
 * size all equal); the others are read back. 0, or -errno.
 */
static int reuse_file_sums(struct app *a)
{
	char *text, *p, key[160];
	FILE *f = fopen(a->file_sums, "r");
	long n;
	int i;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "vk-loader: %s: %s\n", a->file_sums, strerror(errno));
		if (f)
			fclose(f);
		return -errno;
	}
	text = calloc(1, (size_t)n + 1);
	if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(text);
		return -EIO;
	}
	fclose(f);
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];
		unsigned int x, y;

		snprintf(key, sizeof(key), "\"file_id\": \"%s\", \"file_checksum\": [",
			 s->file_id);
		p = strstr(text, key);
		if (p && sscanf(p + strlen(key), "%u, %u", &x, &y) == 2) {
			s->file_sum[0] = x;
			s->file_sum[1] = y;
			s->sums_reused = 1;
		}
	}
	free(text);
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
	int r;

	if (a->mode == MODE_STAGING)
		return "staging: pread into a host-visible buffer + vkCmdCopyBuffer";
	if (!s->compat)
		return "direct: the NVMe controller wrote the exported memory";
	r = s->reasons & (1U << s->file_reason) ? (int)s->file_reason :
	    __builtin_ctz(s->reasons | 1U << 31);
	snprintf(buf, n, "%s: %s (%s)", s->direct ? "direct+compat" : "compat",
		 dmab_strerror(r), dmab_reason_name(r));
	return buf;
}

static const char *const mode_how[] = {
	"the streamer reads the files into exported Vulkan memory (token path)",
	"the streamer with libdmabridge's compat path forced (O_DIRECT + CPU copy)",
	"pread into a staging buffer, vkCmdCopyBuffer to device memory",
};

static void json_str(FILE *j, const char *s)
{
	fputc('"', j);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(j, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(j, "\\u%04x", *s);
		else
			fputc(*s, j);
	fputc('"', j);
}

static int report(struct app *a, int sums_ok, uint64_t chunk)
{
	const double mib = a->bytes / 1048576.0, gib = a->bytes / 1073741824.0;
	char buf[256];
	FILE *j = NULL;
	int i, n_reused;

	printf("vk-loader: mode %s on %s: %s\n", mode_names[a->mode], a->props.deviceName,
	       mode_how[a->mode]);
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];

		printf("  %-10s %10llu B  ready %8.1f ms  %s\n", s->name,
		       (unsigned long long)s->len, s->t_ready * 1e3,
		       asset_path(a, s, buf, sizeof(buf)));
		if (a->mode != MODE_STAGING)
			printf("  %-10s %10s    %llu B direct, %llu B compat\n", "", "",
			       (unsigned long long)s->direct, (unsigned long long)s->compat);
	}
	printf("load: %.2f MiB in %.1f ms = %.1f MiB/s (%s)\n", mib, a->t_load * 1e3,
	       mib / a->t_load, a->mode == MODE_STAGING ? "whole assets" :
	       (snprintf(buf, sizeof(buf), "%llu KiB reads", (unsigned long long)chunk >> 10), buf));
	printf("first pixel: %.1f ms (the picture in host memory; the frame waits "
	       "for the textures and the mesh only)\n", a->t_first_pixel * 1e3);
	printf("CPU time: %.1f ms in the load, %.2f s per GiB (the loader's threads; with "
	       "the driver's, lavapipe's GPU: %.1f ms, %.2f s per GiB)\n",
	       a->cpu_load * 1e3, a->cpu_load / gib, a->cpu_process * 1e3, a->cpu_process / gib);
	printf("CPU copies: %llu B (%s)\n", (unsigned long long)a->cpu_copied,
	       a->mode == MODE_DIRECT ? "none: the device wrote the GPU memory" :
	       a->mode == MODE_COMPAT ? "libdmabridge's bounce buffer -> the dma-buf" :
	       "pread: page cache -> staging buffer");
	for (i = 0, n_reused = 0; i < N_ASSETS; i++)
		n_reused += a->as[i].sums_reused;
	printf("checksum: %s (GPU %.1f ms after the load; the files' %s)\n",
	       sums_ok ? "GPU == file for every asset" : "MISMATCH",
	       (a->t_sums - a->t_load) * 1e3,
	       n_reused == N_ASSETS ? "from --file-sums, the same files" :
	       (snprintf(buf, sizeof(buf), "read back in %.1f ms%s", a->t_verify * 1e3,
			 n_reused ? ", some from --file-sums" : ""), buf));
	printf("set-up before the load: %.1f ms (device %.1f, asset memory %.1f, "
	       "pipelines %.1f, warm-up %.1f)\n", a->t_setup * 1e3, a->t_phase[0] * 1e3,
	       a->t_phase[1] * 1e3, a->t_phase[2] * 1e3, a->t_phase[3] * 1e3);
	printf("picture: %s\n", a->png);
	if (!a->json)
		return 0;
	j = fopen(a->json, "w");
	if (!j)
		return -errno;
	fprintf(j, "{\"mode\": \"%s\", \"device\": ", mode_names[a->mode]);
	json_str(j, a->props.deviceName);
	fprintf(j, ", \"bytes\": %llu, \"chunk\": %llu, \"load_ms\": %.3f, "
		"\"mib_per_s\": %.2f, \"first_pixel_ms\": %.3f, \"cpu_ms\": %.3f, "
		"\"cpu_ms_per_gib\": %.3f, \"process_cpu_ms\": %.3f, "
		"\"process_cpu_ms_per_gib\": %.3f, \"cpu_copied_bytes\": %llu, "
		"\"gpu_checksum_ms\": %.3f, \"setup_ms\": %.3f, \"checksum_ok\": %s, "
		"\"png\": ", (unsigned long long)a->bytes,
		a->mode == MODE_STAGING ? 0ULL : (unsigned long long)chunk, a->t_load * 1e3,
		mib / a->t_load, a->t_first_pixel * 1e3, a->cpu_load * 1e3,
		a->cpu_load * 1e3 / gib, a->cpu_process * 1e3, a->cpu_process * 1e3 / gib,
		(unsigned long long)a->cpu_copied,
		(a->t_sums - a->t_load) * 1e3, a->t_setup * 1e3, sums_ok ? "true" : "false");
	json_str(j, a->png);
	fprintf(j, ", \"assets\": [");
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a->as[i];

		fprintf(j, "%s{\"name\": \"%s\", \"bytes\": %llu, \"ready_ms\": %.3f, "
			"\"path\": ", i ? ", " : "", s->name, (unsigned long long)s->len,
			s->t_ready * 1e3);
		json_str(j, asset_path(a, s, buf, sizeof(buf)));
		fprintf(j, ", \"direct_bytes\": %llu, \"compat_bytes\": %llu, \"reasons\": [",
			(unsigned long long)s->direct, (unsigned long long)s->compat);
		for (int r = 0, first = 1; r < 32; r++)
			if (s->reasons & 1U << r) {
				fprintf(j, "%s\"%s\"", first ? "" : ", ", dmab_reason_name(r));
				first = 0;
			}
		fprintf(j, "], \"gpu_checksum\": [%u, %u], \"file_id\": \"%s\", "
			"\"file_checksum\": [%u, %u], \"file_checksum_read\": %s}",
			s->gpu_sum[0], s->gpu_sum[1], s->file_id, s->file_sum[0], s->file_sum[1],
			s->sums_reused ? "false" : "true");
	}
	fprintf(j, "]}\n");
	return fclose(j) ? -errno : 0;
}

/*
 * --compare-png A B: decode both with libpng and compare the pixels (RGBA8);
 * 0 when every pixel is equal, 1 otherwise, saying where they differ.
 */
static int compare_png(const char *pa, const char *pb)
{
	png_image img[2];
	png_bytep px[2] = { NULL, NULL };
	const char *path[2] = { pa, pb };
	size_t n = 0, diff = 0, first = 0, k;
	int i, ret = 1;

	memset(img, 0, sizeof(img));
	for (i = 0; i < 2; i++) {
		img[i].version = PNG_IMAGE_VERSION;
		if (!png_image_begin_read_from_file(&img[i], path[i])) {
			fprintf(stderr, "vk-loader: %s: %s\n", path[i], img[i].message);
			goto out;
		}
		img[i].format = PNG_FORMAT_RGBA;
		px[i] = malloc(PNG_IMAGE_SIZE(img[i]));
		if (!px[i] || !png_image_finish_read(&img[i], NULL, px[i], 0, NULL)) {
			fprintf(stderr, "vk-loader: %s: %s\n", path[i],
				px[i] ? img[i].message : "out of memory");
			goto out;
		}
	}
	if (img[0].width != img[1].width || img[0].height != img[1].height) {
		printf("%s is %ux%u, %s is %ux%u\n", pa, img[0].width, img[0].height, pb,
		       img[1].width, img[1].height);
		goto out;
	}
	n = (size_t)img[0].width * img[0].height;
	for (k = 0; k < n; k++)
		if (memcmp(px[0] + 4 * k, px[1] + 4 * k, 4) && !diff++)
			first = k;
	if (diff) {
		const png_bytep p = px[0] + 4 * first, q = px[1] + 4 * first;

		printf("%zu of %zu pixels differ; first at (%zu, %zu): "
		       "%02x%02x%02x%02x in %s, %02x%02x%02x%02x in %s\n", diff, n,
		       first % img[0].width, first / img[0].width, p[0], p[1], p[2], p[3], pa,
		       q[0], q[1], q[2], q[3], pb);
		goto out;
	}
	printf("pixels identical: %s and %s (%ux%u RGBA8, decoded)\n", pa, pb,
	       img[0].width, img[0].height);
	ret = 0;
out:
	for (i = 0; i < 2; i++) {
		png_image_free(&img[i]);
		free(px[i]);
	}
	return ret;
}

static int usage(void)
{
	fprintf(stderr, "usage: vk-loader [--mode direct|compat|staging] [--out FILE.png] "
		"[--json FILE] [--chunk BYTES]\n"
		"                 [--file-sums EARLIER.json] ASSET_DIR\n"
		"       vk-loader --check-ktx2 FILE\n"
		"       vk-loader --compare-png A.png B.png\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct app a = { .mode = MODE_DIRECT, .png = "vk-loader.png" };
	struct dmab_ctx_opts o = { .size = sizeof(o) };
	struct watch w[2];
	uint64_t chunk = 1 << 20;
	int i, ret, sums_ok = 1, watching = 0;
	double t0, c0, l0;
	VkResult r;

	t_process = now();
	if (argc == 4 && !strcmp(argv[1], "--compare-png"))
		return compare_png(argv[2], argv[3]);
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
		} else if (!strcmp(argv[i], "--file-sums")) {
			a.file_sums = argv[i + 1];
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
	if ((ret = open_assets(&a)))
		goto out;
	t0 = now();
	if ((ret = gpu_init(&a)))
		goto out;
	a.t_phase[0] = now() - t0;
	if ((ret = asset_buffer(&a)))
		goto out;
	a.t_phase[1] = now() - t0 - a.t_phase[0];
	if ((ret = gpu_resources(&a)) || (ret = gpu_record(&a)))
		goto out;
	a.t_phase[2] = now() - t0 - a.t_phase[0] - a.t_phase[1];
	if ((ret = gpu_warmup(&a)))
		goto out;
	a.t_phase[3] = now() - t0 - a.t_phase[0] - a.t_phase[1] - a.t_phase[2];

	t0 = now();
	a.t_setup = t0 - t_process;
	c0 = cpu_seconds();
	l0 = loader_cpu_seconds();
	for (i = 0; i < 2; i++) {
		ret = watch_start(&w[i], &a, i, t0);
		if (ret)
			goto out;
		watching = i + 1;
	}
	ret = a.mode == MODE_STAGING ? load_staging(&a) : load_streamed(&a, chunk);
	a.t_load = now() - t0;
	a.cpu_process = cpu_seconds() - c0;
	a.cpu_load = loader_cpu_seconds() - l0;
	if (ret)
		goto out;
	r = vkWaitForFences(a.dev, 1, &a.sums_fence, VK_TRUE, UINT64_MAX);
	if (r != VK_SUCCESS) {
		ret = vk_fail("vkWaitForFences(checksums)", r);
		goto out;
	}
	r = vkWaitForFences(a.dev, 1, &a.frame_fence, VK_TRUE, UINT64_MAX);
	if (r != VK_SUCCESS) {
		ret = vk_fail("vkWaitForFences(frame)", r);
		goto out;
	}
	a.t_sums = now() - t0;
	for (; watching; watching--)
		pthread_join(w[watching - 1].thread, NULL);
	/* the waiting threads may wake late: nothing was later than t_load */
	for (i = 0; i < N_ASSETS; i++)
		if (a.as[i].t_ready > a.t_load)
			a.as[i].t_ready = a.t_load;
	if (a.file_sums && (ret = reuse_file_sums(&a)))
		goto out;
	for (i = 0; i < N_ASSETS; i++) {
		struct asset *s = &a.as[i];
		double t = now();

		memcpy(s->gpu_sum, (uint32_t *)a.sums_map + 2 * i, 8);
		ret = s->sums_reused ? 0 : file_checksum(s);
		a.t_verify += now() - t;
		if (ret) {
			fprintf(stderr, "vk-loader: reading %s back: %s\n", s->name,
				strerror(-ret));
			goto out;
		}
		if (memcmp(s->gpu_sum, s->file_sum, 8)) {
			fprintf(stderr, "vk-loader: %s: GPU checksum %08x:%08x, file %08x:%08x\n",
				s->name, s->gpu_sum[0], s->gpu_sum[1], s->file_sum[0],
				s->file_sum[1]);
			sums_ok = 0;
		}
	}
	ret = write_png(&a);
	if (!ret)
		ret = report(&a, sums_ok, chunk);
out:
	for (; watching; watching--) {
		w[watching - 1].stop = 1;
		pthread_join(w[watching - 1].thread, NULL);
	}
	if (a.dev)
		vkDeviceWaitIdle(a.dev);
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
