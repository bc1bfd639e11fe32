/* SPDX-License-Identifier: MIT */
/*
 * guest_mem.c - the peer's memory regions: map, unmap, look up.
 *
 * Security model: see guest_mem.h. Every number passed in comes from the
 * peer; all arithmetic is checked for overflow before it is used, and a
 * region is mapped no larger than its declared size (rounded out to pages).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem/guest_mem.h"
#include "util/log.h"

void pb_guest_mem_init(struct pb_guest_mem *mem)
{
	mem->nregions = 0;
}

/* [a, a+alen) and [b, b+blen) intersect; lengths are non-zero and the ends
 * were checked not to wrap. */
static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Bytes mapped for all regions, to cap what one peer can make us map. */
static uint64_t mapped_bytes(const struct pb_guest_mem *mem)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < mem->nregions; i++)
		total += mem->regions[i].map_len;
	return total;
}

int pb_guest_mem_add(struct pb_guest_mem *mem, int fd, uint64_t gpa, uint64_t size, uint64_t uva,
		     uint64_t mmap_off)
{
	uint64_t gpa_end, uva_end, file_end;

	if (size == 0 || __builtin_add_overflow(gpa, size, &gpa_end) ||
	    __builtin_add_overflow(uva, size, &uva_end) ||
	    __builtin_add_overflow(mmap_off, size, &file_end))
		return -EINVAL;
	if (mem->nregions >= PB_GUEST_MEM_MAX_REGIONS)
		return -ENOSPC;
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct pb_guest_region *r = &mem->regions[i];
		if (ranges_overlap(gpa, size, r->gpa, r->size) ||
		    ranges_overlap(uva, size, r->uva, r->size))
			return -EINVAL;
	}

	/* Only regular files (memfd, tmpfs, hugetlbfs): their size is known.
	 * Touching a shared mapping past the end of its file raises SIGBUS,
	 * so the declared range must lie inside the file as it is now. (A
	 * peer that shrinks an unsealed file later can still do that: see
	 * docs/ARCHITECTURE.md, "What a hostile peer can still do".) */
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < file_end)
		return -EINVAL;

	/* mmap wants an offset aligned to the file's page size (a huge page
	 * for hugetlbfs, whose st_blksize says so): map from the page holding
	 * mmap_off, and whole pages, or munmap of a huge mapping fails and
	 * leaks it. host points at the declared start inside the mapping. */
	uint64_t page = PB_MAX((uint64_t)sysconf(_SC_PAGESIZE), (uint64_t)st.st_blksize);
	if (!pb_is_pow2_u64(page))
		return -EINVAL;
	uint64_t skew = mmap_off & (page - 1);
	uint64_t map_len;
	if (__builtin_add_overflow(size, skew + page - 1, &map_len) || map_len > SIZE_MAX)
		return -EINVAL;
	map_len &= ~(page - 1);
	if (mapped_bytes(mem) + map_len > PB_GUEST_MEM_MAX_BYTES) {
		pb_warn("guest memory: peer asks for more than %llu GiB in all; refused",
			(unsigned long long)(PB_GUEST_MEM_MAX_BYTES >> 30));
		return -ENOMEM;
	}
	void *base = mmap(NULL, (size_t)map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
			  fd, (off_t)(mmap_off - skew));
	if (base == MAP_FAILED) {
		int err = -errno;
		pb_warn("guest memory: cannot map region gpa=0x%llx size=0x%llx: %s",
			(unsigned long long)gpa, (unsigned long long)size, strerror(-err));
		return err;
	}

	/* Keep the table sorted by gpa. */
	unsigned pos = 0;
	while (pos < mem->nregions && mem->regions[pos].gpa < gpa)
		pos++;
	memmove(&mem->regions[pos + 1], &mem->regions[pos],
		(mem->nregions - pos) * sizeof(mem->regions[0]));
	mem->regions[pos] = (struct pb_guest_region){
	    .gpa = gpa,
	    .size = size,
	    .uva = uva,
	    .host = (uint8_t *)base + skew,
	    .map_base = base,
	    .map_len = (size_t)map_len,
	    .mmap_off = mmap_off,
	};
	mem->nregions++;
	return 0;
}

static void unmap_region(struct pb_guest_region *r)
{
	if (munmap(r->map_base, r->map_len) < 0)
		pb_warn("guest memory: munmap of %zu bytes failed: %s", r->map_len,
			strerror(errno));
}

int pb_guest_mem_remove(struct pb_guest_mem *mem, uint64_t gpa, uint64_t size, uint64_t uva)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		struct pb_guest_region *r = &mem->regions[i];
		if (r->gpa == gpa && r->size == size && r->uva == uva) {
			unmap_region(r);
			memmove(r, r + 1, (mem->nregions - i - 1) * sizeof(*r));
			mem->nregions--;
			return 0;
		}
	}
	return -ENOENT;
}

void pb_guest_mem_clear(struct pb_guest_mem *mem)
{
	for (unsigned i = 0; i < mem->nregions; i++)
		unmap_region(&mem->regions[i]);
	mem->nregions = 0;
}

int pb_guest_mem_find_gpa(const struct pb_guest_mem *mem, uint64_t gpa)
{
	unsigned lo = 0, hi = mem->nregions;

	/* Regions are sorted and disjoint: find the last one starting <= gpa. */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (mem->regions[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	const struct pb_guest_region *r = &mem->regions[lo - 1];
	return gpa - r->gpa < r->size ? (int)(lo - 1) : -1;
}

void *pb_guest_mem_uva_to_host(const struct pb_guest_mem *mem, uint64_t uva, uint64_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct pb_guest_region *r = &mem->regions[i];
		uint64_t off = uva - r->uva; /* wraps when uva < r->uva */
		if (off < r->size && len <= r->size - off)
			return r->host + off;
	}
	return NULL;
}
