/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmabridge UAPI: the one ABI header shared by dmabridge.ko and libdmabridge.
 *
 * Every structure uses fixed-width __u32/__u64 fields with explicit padding
 * so that 32-bit and 64-bit userspace see the same layout; sizes are pinned
 * by the module (BUILD_BUG_ON) and by its users (the library and the tests
 * assert them), not here, so that the header compiles as C and as C++.
 * Reserved fields and unknown flags must be zero, else EINVAL. What may
 * change in a minor version: docs/abi.md.
 */
#ifndef _UAPI_LINUX_DMABRIDGE_H
#define _UAPI_LINUX_DMABRIDGE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define DMABRIDGE_CTL_NAME	"dmabridge"	/* /dev/dmabridge */
#define DMABRIDGE_ABI_MAJOR	1
#define DMABRIDGE_ABI_MINOR	1

/*
 * 0xD7, commands 0x00-0x1F: no entry in the kernel's
 * Documentation/userspace-api/ioctl/ioctl-number.rst (0xDB, used before ABI
 * 1, is the mwave driver's).
 */
#define DMABRIDGE_IOC_MAGIC	0xD7

/**
 * struct dmabridge_version - DMABRIDGE_IOC_VERSION
 * @major: ABI major; a library refuses a different major.
 * @minor: ABI minor; additions only.
 * @flags: in: must be 0. out: 0 (reserved for feature bits).
 * @reserved: must be 0.
 */
struct dmabridge_version {
	__u32 major;
	__u32 minor;
	__u32 flags;
	__u32 reserved;
};

#define DMABRIDGE_IOC_VERSION	_IOWR(DMABRIDGE_IOC_MAGIC, 0x00, struct dmabridge_version)

/*
 * Tokens. A token is a dma-buf registered with one /dev/dmabridge open file
 * description (a context): the module attaches it to each NVMe controller on
 * first use, maps it once and keeps the mapping until the token is destroyed
 * (TOKEN_DESTROY, close() of the context, or process exit), the exporter
 * moves the buffer, or the controller goes away. Token ids are private to
 * their context and never 0.
 *
 * Direction flags name the file operation, like read(2)/write(2):
 */
/* file -> buffer: the NVMe device writes into the dma-buf (DMA_FROM_DEVICE) */
#define DMABRIDGE_TOKEN_READ	(1U << 0)
/* buffer -> file: the NVMe device reads from the dma-buf (DMA_TO_DEVICE) */
#define DMABRIDGE_TOKEN_WRITE	(1U << 1)
#define DMABRIDGE_TOKEN_FLAGS_ALL (DMABRIDGE_TOKEN_READ | DMABRIDGE_TOKEN_WRITE)

/**
 * struct dmabridge_token_create - DMABRIDGE_IOC_TOKEN_CREATE
 * @dmabuf_fd: in: a dma-buf file descriptor. The context keeps its own
 *	reference: the fd may be closed once the token exists. It must be
 *	open for writing if @flags has DMABRIDGE_TOKEN_READ and for reading if
 *	@flags has DMABRIDGE_TOKEN_WRITE (EBADF otherwise, and for an fd that
 *	is not a dma-buf).
 * @flags: in: DMABRIDGE_TOKEN_READ and/or DMABRIDGE_TOKEN_WRITE, at least
 *	one; requests in a direction the token was not created for fail with
 *	EBADF. Other bits: EINVAL.
 * @id: out: the token id, never 0. In: must be 0.
 * @reserved0: must be 0.
 * @size: out: size of the dma-buf in bytes; token offsets are below it.
 *	In: must be 0.
 * @reserved: must be 0.
 */
struct dmabridge_token_create {
	__s32 dmabuf_fd;
	__u32 flags;
	__u32 id;
	__u32 reserved0;
	__u64 size;
	__u64 reserved[2];
};

/**
 * struct dmabridge_token_destroy - DMABRIDGE_IOC_TOKEN_DESTROY
 * @id: in: token id; ENOENT if the context has no such token.
 * @flags: in: must be 0.
 * @reserved: must be 0.
 *
 * New requests on @id fail with ENOENT at once. Without requests in flight
 * on the token, the dma-buf is unmapped and detached from every controller
 * before the call returns (the exporter has no attachment left from this
 * token); with requests in flight, that happens when the last of them
 * completes, and the call does not wait for them (the caller may be the
 * task whose io_uring completes them). Either way the requests keep their
 * own reference to the dma-buf until they complete.
 */
struct dmabridge_token_destroy {
	__u32 id;
	__u32 flags;
	__u64 reserved;
};

/*
 * Registered targets (ABI 1.1). A context may hold up to
 * DMABRIDGE_MAX_TARGETS target files, as io_uring registers files: a request
 * with DMABRIDGE_IO_FIXED_TARGET names one by its index in @fd instead of a
 * file descriptor, and the module skips the descriptor lookup and the checks
 * of what the file is on (done once, at registration) for each request.
 */
#define DMABRIDGE_MAX_TARGETS	64

/**
 * struct dmabridge_target - DMABRIDGE_IOC_TARGET_REGISTER / _UNREGISTER
 * @fd: REGISTER, in: a target as struct dmabridge_io's @fd names one (a
 *	regular file on ext2/3/4 or xfs on a dmabridge block device, or that
 *	block device), in any open mode: each request checks its direction
 *	(EBADF). EBADF if @fd is not an open file, EXDEV if it is not such a
 *	target. The context keeps its own reference to the open file: @fd may
 *	be closed afterwards. UNREGISTER: must be 0.
 * @index: REGISTER: in, must be 0; out, the lowest free index, below
 *	DMABRIDGE_MAX_TARGETS (ENOSPC when all are taken). UNREGISTER, in: the
 *	index; ENOENT if it holds no target.
 * @flags: must be 0.
 * @reserved: must be 0.
 *
 * UNREGISTER frees the index at once; requests already running on the
 * target keep the file until they complete. Closing the context
 * unregisters every target.
 */
struct dmabridge_target {
	__s32 fd;
	__u32 index;
	__u32 flags;
	__u32 reserved;
};

/* struct dmabridge_io @flags (ABI 1.1): @fd is a registered target's index */
#define DMABRIDGE_IO_FIXED_TARGET	(1U << 0)
#define DMABRIDGE_IO_FLAGS_ALL		DMABRIDGE_IO_FIXED_TARGET

/* Longest request: the byte count must fit a CQE's 32-bit result. */
#define DMABRIDGE_IO_MAX_LEN	0x7ffff000U

/**
 * struct dmabridge_io - DMABRIDGE_IOC_READ / DMABRIDGE_IOC_WRITE
 * @token: id of a token of this context.
 * @fd: target: a regular file on ext2/3/4 or xfs mounted on a dmabridge
 *	block device, or a dmabridge block device itself; open for reading
 *	(READ) or writing (WRITE), EBADF otherwise. A target elsewhere, or on
 *	another filesystem (some handle direct I/O data by CPU: bcachefs
 *	checksums it): EXDEV. A WRITE to a file whose direct I/O the
 *	filesystem would serve from the page cache (statx STATX_DIOALIGN
 *	reports none: ext4 data=journal, inline data): EINVAL, the file
 *	untouched. With DMABRIDGE_IO_FIXED_TARGET in @flags: the index of a
 *	target registered with this context (EBADF if none).
 * @token_offset: first byte in the dma-buf.
 * @file_offset: first byte in the target. A WRITE goes there even if @fd
 *	has O_APPEND (as pwritev2() with RWF_NOAPPEND); a WRITE to an
 *	append-only file (chattr +a) fails with EPERM.
 * @length: bytes to move, at most DMABRIDGE_IO_MAX_LEN; offsets and length
 *	must be aligned to the target's direct-I/O alignment (EINVAL) and the
 *	range must lie inside the token (ERANGE).
 * @flags: 0 or DMABRIDGE_IO_FIXED_TARGET (ABI 1.1; other bits: EINVAL).
 * @reserved0: must be 0.
 * @tag: opaque to the kernel. Asynchronous requests echo it in the second
 *	result word of their completion (cqe->big_cqe[0] on an
 *	IORING_SETUP_CQE32 ring), failed and refused ones included; the
 *	CQE's user_data is the SQE's, as for any io_uring request.
 * @reserved: must be 0.
 *
 * READ moves file bytes into the dma-buf, WRITE dma-buf bytes into the file.
 * Synchronously, the ioctl returns the number of bytes moved or -1 with
 * errno. Only a READ that reaches end of file is short; a WRITE moves all
 * its bytes or fails whole: EFBIG if it would end past the largest offset
 * the file may have (the filesystem's limit, RLIMIT_FSIZE), ENOSPC past
 * the end of a block device. Asynchronously, the
 * structure is the command area of an IORING_OP_URING_CMD SQE on a
 * IORING_SETUP_SQE128 ring, with sqe->cmd_op set to DMABRIDGE_IOC_READ or
 * DMABRIDGE_IOC_WRITE; cqe->res carries the byte count or -errno. A request
 * never reports bytes as moved that did not reach their destination.
 */
struct dmabridge_io {
	__u32 token;
	__s32 fd;
	__u64 token_offset;
	__u64 file_offset;
	__u64 length;
	__u32 flags;
	__u32 reserved0;
	__u64 tag;
	__u64 reserved[2];
};

#define DMABRIDGE_IOC_TOKEN_CREATE \
	_IOWR(DMABRIDGE_IOC_MAGIC, 0x01, struct dmabridge_token_create)
/* DESTROY, READ and WRITE copy nothing back: _IOW */
#define DMABRIDGE_IOC_TOKEN_DESTROY \
	_IOW(DMABRIDGE_IOC_MAGIC, 0x02, struct dmabridge_token_destroy)
#define DMABRIDGE_IOC_READ	_IOW(DMABRIDGE_IOC_MAGIC, 0x03, struct dmabridge_io)
#define DMABRIDGE_IOC_WRITE	_IOW(DMABRIDGE_IOC_MAGIC, 0x04, struct dmabridge_io)
/* ABI 1.1 */
#define DMABRIDGE_IOC_TARGET_REGISTER \
	_IOWR(DMABRIDGE_IOC_MAGIC, 0x05, struct dmabridge_target)
#define DMABRIDGE_IOC_TARGET_UNREGISTER \
	_IOW(DMABRIDGE_IOC_MAGIC, 0x06, struct dmabridge_target)

#endif /* _UAPI_LINUX_DMABRIDGE_H */
