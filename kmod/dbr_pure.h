/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Context for code built both into dmabridge.ko and on the host.
 *
 * The descriptor builder and the run arithmetic include nothing but this
 * header, so the very same source is unit-tested and benchmarked in user
 * space (like OpenZFS's zfs_context.h). In the kernel it only pulls in the
 * real headers; on the host it supplies the handful of kernel types and
 * helpers that pure code is allowed to use. Anything else is a layering bug.
 */
#ifndef DBR_PURE_H
#define DBR_PURE_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/string.h>
#include <asm/byteorder.h>

#else /* !__KERNEL__ */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
/*
 * The uapi header gives __u64 == unsigned long long exactly as in the kernel,
 * so "%llu" and friends are correct on both sides.
 */
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#ifndef U32_MAX
#define U32_MAX		((u32)~0U)
#endif
#ifndef U64_MAX
#define U64_MAX		((u64)~0ULL)
#endif

/* Compiler macros rather than <endian.h>: no feature macros needed in C11. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define cpu_to_le32(x)	((__le32)(u32)(x))
#define cpu_to_le64(x)	((__le64)(u64)(x))
#define le32_to_cpu(x)	((u32)(x))
#define le64_to_cpu(x)	((u64)(x))
#else
#define cpu_to_le32(x)	((__le32)__builtin_bswap32((u32)(x)))
#define cpu_to_le64(x)	((__le64)__builtin_bswap64((u64)(x)))
#define le32_to_cpu(x)	__builtin_bswap32((u32)(x))
#define le64_to_cpu(x)	__builtin_bswap64((u64)(x))
#endif

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif

#ifndef BIT
#define BIT(nr)		(1UL << (nr))
#define BIT_ULL(nr)	(1ULL << (nr))
#endif

#ifndef DIV_ROUND_UP
/* the kernel's definition, which checkpatch --strict notes the same way */
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#endif

/* Kernel name and semantics: u64 by u32 division (a libcall on 32-bit). */
static inline u64 div_u64(u64 dividend, u32 divisor)
{
	return dividend / divisor;
}

#endif /* __KERNEL__ */

/*
 * Bus addresses handed to the device. Fixed at 64 bits on both sides so the
 * structures below have one layout; the driver widens dma_addr_t into it.
 */
typedef u64 dbr_dma_addr_t;

/*
 * BUILD_BUG_ON() that also works at file scope and on the host.
 * checkpatch --strict reads the C11 keyword _Static_assert as CamelCase.
 */
#define DBR_STATIC_ASSERT(expr)	_Static_assert(expr, #expr)

static inline u64 dbr_min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static inline bool dbr_is_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

#endif /* DBR_PURE_H */
