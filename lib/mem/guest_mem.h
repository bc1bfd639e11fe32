/* SPDX-License-Identifier: MIT */
/*
 * guest_mem.h - the peer's memory as the backend sees it: a table of regions
 * the frontend declared (SET_MEM_TABLE / ADD_MEM_REG), each mapped from the
 * fd it passed, and bounds-checked translation of the peer's addresses.
 *
 * Security model: every number here comes from the peer. A region is mapped
 * exactly as declared (size and offset, checked for overflow, page-aligned
 * mapping of at most the declared range), regions may not overlap in either
 * address space, and a translation succeeds only when the whole range
 * [addr, addr+len) lies inside one region. Nothing is trusted beyond that:
 * the contents of guest memory may change at any moment.
 *
 * Two address spaces are translated:
 *  - guest physical addresses (GPA): in descriptors;
 *  - frontend user addresses (UVA): in SET_VRING_ADDR (without ACCESS_PLATFORM).
 */
#ifndef PB_GUEST_MEM_H
#define PB_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

/* vhost-user lets the backend choose its slot count (GET_MAX_MEM_SLOTS);
 * QEMU caps at 509, so more buys nothing. DPDK stops at 8. */
#define PB_GUEST_MEM_MAX_REGIONS 509

/* At most this much of one peer's memory is mapped (a sparse file makes
 * terabytes cheap to declare; address space is not). Enough for a VM with
 * 256 GiB of RAM. */
#define PB_GUEST_MEM_MAX_BYTES (256ULL << 30)

static inline bool pb_is_pow2_u64(uint64_t n)
{
	return n && !(n & (n - 1));
}

struct pb_guest_region {
	uint64_t gpa;	   /* guest physical start */
	uint64_t size;	   /* bytes */
	uint64_t uva;	   /* frontend's user address of gpa */
	uint8_t *host;	   /* our mapping of gpa */
	void *map_base;	   /* what mmap returned (page-aligned, <= host) */
	size_t map_len;	   /* what to munmap */
	uint64_t mmap_off; /* as declared; used to match REM_MEM_REG */
};

struct pb_guest_mem {
	unsigned nregions;
	/* Sorted by gpa so a lookup can bisect; nregions entries are valid. */
	struct pb_guest_region regions[PB_GUEST_MEM_MAX_REGIONS];
};

void pb_guest_mem_init(struct pb_guest_mem *mem);

/*
 * Map [mmap_off, mmap_off+size) of @fd and record it. Does not take @fd
 * (the caller closes it; the mapping stays).
 * Returns 0, -EINVAL (zero size, overflow, overlap with a region in either
 * address space), -ENOSPC (table full), or -errno from mmap.
 */
int pb_guest_mem_add(struct pb_guest_mem *mem, int fd, uint64_t gpa, uint64_t size, uint64_t uva,
		     uint64_t mmap_off);

/* Remove and unmap the region matching gpa, size and uva; -ENOENT if none. */
int pb_guest_mem_remove(struct pb_guest_mem *mem, uint64_t gpa, uint64_t size, uint64_t uva);

/* Unmap every region. */
void pb_guest_mem_clear(struct pb_guest_mem *mem);

/* Slow path of the lookups below: bisect for the region holding @addr. */
int pb_guest_mem_find_gpa(const struct pb_guest_mem *mem, uint64_t gpa);

/* UVA -> host pointer for [uva, uva+len), or NULL. Control path only. */
void *pb_guest_mem_uva_to_host(const struct pb_guest_mem *mem, uint64_t uva, uint64_t len);

/*
 * GPA -> host pointer for [gpa, gpa+len), or NULL if the range is not inside
 * one region. @hint is the caller's cache of the last region that matched
 * (any value is safe; it is range-checked), so the common case of every
 * buffer in one region costs two compares.
 */
static inline void *pb_guest_mem_gpa_to_host(const struct pb_guest_mem *mem, uint64_t gpa,
					     uint64_t len, unsigned *hint)
{
	const struct pb_guest_region *r;
	unsigned i = *hint;

	if (likely(i < mem->nregions)) {
		r = &mem->regions[i];
		/* gpa - r->gpa wraps when gpa < r->gpa, failing the compare. */
		if (likely(gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa)))
			return r->host + (gpa - r->gpa);
	}
	int found = pb_guest_mem_find_gpa(mem, gpa);
	if (found < 0)
		return NULL;
	r = &mem->regions[found];
	if (len > r->size - (gpa - r->gpa))
		return NULL;
	*hint = (unsigned)found;
	return r->host + (gpa - r->gpa);
}

#endif /* PB_GUEST_MEM_H */
