// SPDX-License-Identifier: GPL-2.0
/*
 * token_lifecycle: tokens on /dev/dmabridge without a controller. Create and
 * destroy with every argument error and its errno, ids private and never 0,
 * the dma-buf fd closable once the token exists, request argument checks,
 * and no dma-buf reference left behind by DESTROY, by close() of the context
 * with tokens in it, or by a process killed while holding tokens (counted
 * by dbr_test_exporter's debugfs "buffers").
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/dmabridge.h>

#include "dbr_tool.h"
#include "dbr_test_exporter.h"

#define DEBUGFS "/sys/kernel/debug/dbr_test_exporter/"
#define BUF_PAGES 16

static int texp_fd;

static int new_dmabuf(uint32_t flags)
{
	struct dbr_texp_create c = {
		.shape = DBR_TEXP_SHAPE_PAGES, .flags = flags,
		.chunk_pages = 4, .nr_chunks = BUF_PAGES / 4,
	};

	if (ioctl(texp_fd, DBR_TEXP_IOC_CREATE, &c) < 0)
		t_fail("exporter create: %s", strerror(errno));
	return c.fd;
}

static int ctl_open(void)
{
	int fd = open("/dev/" DMABRIDGE_CTL_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		t_fail("open /dev/" DMABRIDGE_CTL_NAME ": %s", strerror(errno));
	return fd;
}

static int tok_create(int ctl, int dmabuf, uint32_t flags, uint32_t *id)
{
	struct dmabridge_token_create a = { .dmabuf_fd = dmabuf, .flags = flags };
	int r = ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &a);

	if (!r) {
		if (!a.id)
			t_fail("token id 0");
		if (a.size != BUF_PAGES * 4096ULL)
			t_fail("token size %llu", (unsigned long long)a.size);
		if (id)
			*id = a.id;
	}
	return r;
}

static int tok_destroy(int ctl, uint32_t id)
{
	struct dmabridge_token_destroy d = { .id = id };

	return ioctl(ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d);
}

static long long live_buffers(void)
{
	return t_read_counter(DEBUGFS "buffers");
}

static void expect_buffers(long long want, const char *when)
{
	long long got = live_buffers();

	if (got != want)
		t_fail("%s: %lld dma-bufs live, want %lld", when, got, want);
}

static void test_create_errors(int ctl)
{
	struct dmabridge_token_create a;
	int dmabuf = new_dmabuf(0), ro = new_dmabuf(DBR_TEXP_RDONLY);
	int devnull = open("/dev/null", O_RDWR);

	t_expect_errno(tok_create(ctl, dmabuf, 0, NULL), EINVAL);
	t_expect_errno(tok_create(ctl, dmabuf, 1U << 5, NULL), EINVAL);
	a = (struct dmabridge_token_create){ .dmabuf_fd = dmabuf,
		.flags = DMABRIDGE_TOKEN_READ, .reserved0 = 1 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &a), EINVAL);
	a = (struct dmabridge_token_create){ .dmabuf_fd = dmabuf,
		.flags = DMABRIDGE_TOKEN_READ, .reserved[1] = 1 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &a), EINVAL);
	a = (struct dmabridge_token_create){ .dmabuf_fd = dmabuf,
		.flags = DMABRIDGE_TOKEN_READ, .id = 5 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_TOKEN_CREATE, &a), EINVAL);

	t_expect_errno(tok_create(ctl, devnull, DMABRIDGE_TOKEN_READ, NULL), EBADF);
	t_expect_errno(tok_create(ctl, -1, DMABRIDGE_TOKEN_READ, NULL), EBADF);
	t_expect_errno(tok_create(ctl, 1000, DMABRIDGE_TOKEN_READ, NULL), EBADF);
	/* The device writing into a buffer exported read-only: no. */
	t_expect_errno(tok_create(ctl, ro, DMABRIDGE_TOKEN_READ, NULL), EBADF);
	t_expect_errno(tok_create(ctl, ro, DMABRIDGE_TOKEN_READ |
				  DMABRIDGE_TOKEN_WRITE, NULL), EBADF);

	t_expect_errno(ioctl(ctl, _IOWR(DMABRIDGE_IOC_MAGIC, 0x7f, int), 0),
		       ENOTTY);
	close(devnull);
	close(ro);
	close(dmabuf);
	printf("ok: create errors\n");
}

static void test_create_destroy(int ctl, long long base)
{
	struct dmabridge_token_destroy d;
	uint32_t r, w, rw, ro_w;
	int dmabuf = new_dmabuf(0), ro = new_dmabuf(DBR_TEXP_RDONLY);

	t_expect_errno(tok_create(ctl, dmabuf, DMABRIDGE_TOKEN_READ, &r), 0);
	t_expect_errno(tok_create(ctl, dmabuf, DMABRIDGE_TOKEN_WRITE, &w), 0);
	t_expect_errno(tok_create(ctl, dmabuf, DMABRIDGE_TOKEN_FLAGS_ALL, &rw), 0);
	t_expect_errno(tok_create(ctl, ro, DMABRIDGE_TOKEN_WRITE, &ro_w), 0);
	if (r == w || r == rw || w == rw || ro_w == r)
		t_fail("token ids not distinct: %u %u %u %u", r, w, rw, ro_w);

	/* The tokens hold the dma-bufs: closing the fds frees nothing. */
	close(dmabuf);
	close(ro);
	expect_buffers(base + 2, "fds closed, tokens alive");

	d = (struct dmabridge_token_destroy){ .id = r, .flags = 1 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d), EINVAL);
	d = (struct dmabridge_token_destroy){ .id = r, .reserved = 1 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d), EINVAL);
	t_expect_errno(tok_destroy(ctl, 0), ENOENT);
	t_expect_errno(tok_destroy(ctl, 0xdeadbeef), ENOENT);

	t_expect_errno(tok_destroy(ctl, r), 0);
	t_expect_errno(tok_destroy(ctl, r), ENOENT);
	t_expect_errno(tok_destroy(ctl, w), 0);
	expect_buffers(base + 2, "one token left on each buffer");
	t_expect_errno(tok_destroy(ctl, rw), 0);
	expect_buffers(base + 1, "first buffer's tokens destroyed");
	t_expect_errno(tok_destroy(ctl, ro_w), 0);
	expect_buffers(base, "all tokens destroyed");
	printf("ok: create/destroy, dma-buf references dropped\n");
}

static void test_io_checks(int ctl)
{
	int dmabuf = new_dmabuf(0);
	struct dmabridge_io io;
	uint32_t r;

	t_expect_errno(tok_create(ctl, dmabuf, DMABRIDGE_TOKEN_READ, &r), 0);
	io = (struct dmabridge_io){ .token = r + 1000, .fd = 0, .length = 4096 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), ENOENT);
	/* every bit the ABI does not define (1.1 defines FIXED_TARGET) */
	io = (struct dmabridge_io){ .token = r, .fd = 0, .length = 4096,
				    .flags = ~DMABRIDGE_IO_FLAGS_ALL };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), EINVAL);
	io.flags = DMABRIDGE_IO_FIXED_TARGET << 1;
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), EINVAL);
	io = (struct dmabridge_io){ .token = r, .fd = 0, .length = 4096,
				    .reserved[0] = 1 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), EINVAL);
	io = (struct dmabridge_io){ .token = r, .fd = 0, .length = 0 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), EINVAL);
	io = (struct dmabridge_io){ .token = r, .fd = 0,
				    .token_offset = BUF_PAGES * 4096ULL,
				    .length = 4096 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), ERANGE);
	io = (struct dmabridge_io){ .token = r, .fd = 0, .token_offset = 4096,
				    .length = BUF_PAGES * 4096ULL };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), ERANGE);
	/* A READ-only token cannot be the source of a WRITE. */
	io = (struct dmabridge_io){ .token = r, .fd = 0, .length = 4096 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_WRITE, &io), EBADF);

	t_expect_errno(tok_destroy(ctl, r), 0);
	io = (struct dmabridge_io){ .token = r, .fd = 0, .length = 4096 };
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_READ, &io), ENOENT);
	close(dmabuf);
	printf("ok: request argument checks\n");
}

/* Contexts are private: another open file does not see our ids. */
static void test_private(int ctl)
{
	int other = ctl_open(), dmabuf = new_dmabuf(0);
	uint32_t id;

	t_expect_errno(tok_create(ctl, dmabuf, DMABRIDGE_TOKEN_READ, &id), 0);
	t_expect_errno(tok_destroy(other, id), ENOENT);
	t_expect_errno(tok_destroy(ctl, id), 0);
	close(other);
	close(dmabuf);
	printf("ok: contexts are private\n");
}

static void test_close_with_tokens(long long base)
{
	int ctl = ctl_open(), dmabuf = new_dmabuf(0);

	for (int i = 0; i < 1000; i++)
		t_expect_errno(tok_create(ctl, dmabuf, i & 1 ?
			       DMABRIDGE_TOKEN_READ : DMABRIDGE_TOKEN_WRITE,
			       NULL), 0);
	close(dmabuf);
	expect_buffers(base + 1, "1000 tokens alive");
	close(ctl);
	expect_buffers(base, "context closed with 1000 tokens");
	printf("ok: close() destroys the context's tokens\n");
}

static void test_killed(long long base)
{
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe(pipefd))
		t_fail("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (!pid) {
		int ctl = ctl_open(), dmabuf = new_dmabuf(0);

		for (int i = 0; i < 64; i++)
			if (tok_create(ctl, dmabuf, DMABRIDGE_TOKEN_READ, NULL))
				_exit(2);
		close(dmabuf);
		if (write(pipefd[1], "k", 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &c, 1) != 1)
		t_fail("child died before creating its tokens");
	expect_buffers(base + 1, "child holds tokens");
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status))
		t_fail("child exited with %d", WEXITSTATUS(status));
	expect_buffers(base, "child killed");
	close(pipefd[0]);
	printf("ok: a killed process leaks no token\n");
}

/*
 * Issue 16, defect 1: TOKEN_CREATE wrote the token's id and read its size
 * after publishing it, so a TOKEN_DESTROY of the (predictable, lowest
 * free) id from another thread could free it first: a use after free that
 * KASAN reports in the debug lane. Here creators race a thread destroying
 * the low ids; every CREATE must still return a usable id and the buffer's
 * size, and nothing may leak.
 */
#define RACE_CREATORS	3
#define RACE_ROUNDS	3000

struct race {
	int ctl, dmabuf;
	volatile int stop;
	unsigned int bad_size, bad_id, created, stolen;
};

static void *race_creator(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < RACE_ROUNDS; i++) {
		struct dmabridge_token_create a = {
			.dmabuf_fd = r->dmabuf, .flags = DMABRIDGE_TOKEN_READ,
		};
		struct dmabridge_token_destroy d = { 0 };

		if (ioctl(r->ctl, DMABRIDGE_IOC_TOKEN_CREATE, &a))
			t_fail("racing create: %s", strerror(errno));
		__atomic_add_fetch(&r->created, 1, __ATOMIC_RELAXED);
		if (a.size != BUF_PAGES * 4096ULL)
			__atomic_add_fetch(&r->bad_size, 1, __ATOMIC_RELAXED);
		if (!a.id || a.id > 65536)
			__atomic_add_fetch(&r->bad_id, 1, __ATOMIC_RELAXED);
		d.id = a.id;
		if (ioctl(r->ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d)) {
			if (errno != ENOENT)
				t_fail("destroy own token: %s", strerror(errno));
			__atomic_add_fetch(&r->stolen, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void *race_destroyer(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		for (uint32_t id = 1; id <= 2 * RACE_CREATORS; id++) {
			struct dmabridge_token_destroy d = { .id = id };

			if (ioctl(r->ctl, DMABRIDGE_IOC_TOKEN_DESTROY, &d) &&
			    errno != ENOENT)
				t_fail("racing destroy: %s", strerror(errno));
		}
	}
	return NULL;
}

static void test_create_destroy_race(long long base)
{
	struct race r = { .ctl = ctl_open(), .dmabuf = new_dmabuf(0) };
	pthread_t c[RACE_CREATORS], d;

	if (pthread_create(&d, NULL, race_destroyer, &r))
		t_fail("pthread_create");
	for (int i = 0; i < RACE_CREATORS; i++)
		if (pthread_create(&c[i], NULL, race_creator, &r))
			t_fail("pthread_create");
	for (int i = 0; i < RACE_CREATORS; i++)
		pthread_join(c[i], NULL);
	r.stop = 1;
	pthread_join(d, NULL);
	if (r.bad_size || r.bad_id)
		t_fail("%u of %u racing creates returned a wrong size, %u a bad id",
		       r.bad_size, r.created, r.bad_id);
	close(r.dmabuf);
	close(r.ctl);
	expect_buffers(base, "after the create/destroy race");
	printf("ok: %u creates raced a destroyer (%u taken by it), no leak\n",
	       r.created, r.stolen);
}

int main(void)
{
	struct dmabridge_version v = { 0 };
	long long base, attaches;
	int ctl;

	texp_fd = open("/dev/" DBR_TEXP_NAME, O_RDWR);
	if (texp_fd < 0)
		t_skip("/dev/" DBR_TEXP_NAME ": %s", strerror(errno));
	ctl = ctl_open();
	t_expect_errno(ioctl(ctl, DMABRIDGE_IOC_VERSION, &v), 0);
	if (v.major != DMABRIDGE_ABI_MAJOR)
		t_fail("ABI major %u, want %u", v.major, DMABRIDGE_ABI_MAJOR);

	base = live_buffers();
	attaches = t_read_counter(DEBUGFS "attaches");
	if (base < 0 || attaches < 0)
		t_fail("no exporter counters in " DEBUGFS);

	test_create_errors(ctl);
	expect_buffers(base, "after create errors");
	test_create_destroy(ctl, base);
	test_io_checks(ctl);
	test_private(ctl);
	expect_buffers(base, "after request checks");
	close(ctl);
	test_close_with_tokens(base);
	test_killed(base);
	test_create_destroy_race(base);

	/* No controller was used: tokens attach lazily, so never here. */
	if (t_read_counter(DEBUGFS "attaches") != attaches)
		t_fail("a token attached without a controller");
	return T_EXIT_PASS;
}
