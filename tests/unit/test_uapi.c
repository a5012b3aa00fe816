// SPDX-License-Identifier: GPL-2.0
/*
 * test_uapi: the UAPI header compiles as C11 and as C++ (this file is also
 * built as test_uapi.cc), and its ABI is pinned: sizes, field offsets and
 * the ioctl numbers a released library compiled in. A change to any of
 * them fails to compile here; if it is deliberate it is a new ABI major
 * (docs/abi.md).
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>

#include <linux/dmabridge.h>

#define FIELD(type, field, off)                                          \
	static_assert(offsetof(struct type, field) == (off),            \
		      #type "." #field " moved")

static_assert(DMABRIDGE_ABI_MAJOR == 1, "ABI major");
static_assert(DMABRIDGE_IOC_MAGIC == 0xD7, "ioctl magic");

static_assert(sizeof(struct dmabridge_version) == 16, "dmabridge_version size");
FIELD(dmabridge_version, major, 0);
FIELD(dmabridge_version, minor, 4);
FIELD(dmabridge_version, flags, 8);
FIELD(dmabridge_version, reserved, 12);

static_assert(sizeof(struct dmabridge_token_create) == 40,
	      "dmabridge_token_create size");
FIELD(dmabridge_token_create, dmabuf_fd, 0);
FIELD(dmabridge_token_create, flags, 4);
FIELD(dmabridge_token_create, id, 8);
FIELD(dmabridge_token_create, reserved0, 12);
FIELD(dmabridge_token_create, size, 16);
FIELD(dmabridge_token_create, reserved, 24);

static_assert(sizeof(struct dmabridge_token_destroy) == 16,
	      "dmabridge_token_destroy size");
FIELD(dmabridge_token_destroy, id, 0);
FIELD(dmabridge_token_destroy, flags, 4);
FIELD(dmabridge_token_destroy, reserved, 8);

/* 64 bytes: fits the 80-byte command area of an SQE128 */
static_assert(sizeof(struct dmabridge_io) == 64, "dmabridge_io size");
FIELD(dmabridge_io, token, 0);
FIELD(dmabridge_io, fd, 4);
FIELD(dmabridge_io, token_offset, 8);
FIELD(dmabridge_io, file_offset, 16);
FIELD(dmabridge_io, length, 24);
FIELD(dmabridge_io, flags, 32);
FIELD(dmabridge_io, reserved0, 36);
FIELD(dmabridge_io, tag, 40);
FIELD(dmabridge_io, reserved, 48);

/* ABI 1.1: registered targets */
static_assert(sizeof(struct dmabridge_target) == 16, "dmabridge_target size");
FIELD(dmabridge_target, fd, 0);
FIELD(dmabridge_target, index, 4);
FIELD(dmabridge_target, flags, 8);
FIELD(dmabridge_target, reserved, 12);
static_assert(DMABRIDGE_MAX_TARGETS == 64, "registered targets per context");
static_assert(DMABRIDGE_IO_FIXED_TARGET == 1, "FIXED_TARGET request flag");

/* direction (2 bits) | size (14) | magic (8) | number (8), as on x86 */
static_assert(DMABRIDGE_IOC_VERSION == 0xc010d700U, "VERSION number");
static_assert(DMABRIDGE_IOC_TOKEN_CREATE == 0xc028d701U, "TOKEN_CREATE number");
static_assert(DMABRIDGE_IOC_TOKEN_DESTROY == 0x4010d702U, "TOKEN_DESTROY number");
static_assert(DMABRIDGE_IOC_READ == 0x4040d703U, "READ number");
static_assert(DMABRIDGE_IOC_WRITE == 0x4040d704U, "WRITE number");
static_assert(DMABRIDGE_IOC_TARGET_REGISTER == 0xc010d705U,
	      "TARGET_REGISTER number");
static_assert(DMABRIDGE_IOC_TARGET_UNREGISTER == 0x4010d706U,
	      "TARGET_UNREGISTER number");
static_assert(DMABRIDGE_IO_MAX_LEN == 0x7ffff000U, "largest request");
static_assert(DMABRIDGE_TOKEN_READ == 1 && DMABRIDGE_TOKEN_WRITE == 2,
	      "token direction flags");

int main(void)
{
#ifdef __cplusplus
	printf("ok: the UAPI header compiles as C++ with its ABI pinned\n");
#else
	printf("ok: the UAPI header compiles as C11 with its ABI pinned\n");
#endif
	return 0;
}
