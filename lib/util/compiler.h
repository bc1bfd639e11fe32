/* SPDX-License-Identifier: MIT */
/* compiler.h - small compiler helpers shared by the library. */
#ifndef PB_COMPILER_H
#define PB_COMPILER_H

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define PB_CACHE_LINE	 64
#define pb_cache_aligned __attribute__((aligned(PB_CACHE_LINE)))

#define PB_ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define PB_MIN(a, b)	  ((a) < (b) ? (a) : (b))
#define PB_MAX(a, b)	  ((a) > (b) ? (a) : (b))
#define PB_ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))

/*
 * Accesses to memory shared with the peer. A plain load could be torn or
 * repeated by the compiler (a double fetch); these read or write exactly once.
 * The _acquire/_release forms carry the ordering the virtio rings need; each
 * use says which store or load it pairs with.
 */
#define pb_load_once(p)	       __atomic_load_n((p), __ATOMIC_RELAXED)
#define pb_store_once(p, v)    __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define pb_load_acquire(p)     __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define pb_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* Full barrier: orders an earlier store before a later load (store-load),
 * which acquire/release cannot; used around notification suppression. */
#define pb_smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif /* PB_COMPILER_H */
