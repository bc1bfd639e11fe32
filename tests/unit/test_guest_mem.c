/* SPDX-License-Identifier: MIT */
/*
 * test_guest_mem.c - the peer's memory table: regions mapped from memfds,
 * GPA and UVA translation with bounds, every rejected declaration (size 0,
 * overflow, overlap in either address space, past the end of the file),
 * unaligned mmap offsets, remove/clear, hundreds of regions, garbage hints.
 *
 * Every file byte holds a pattern of its offset and the file's seed, so a
 * translation that lands on the wrong byte (wrong region, wrong offset) is
 * seen, not just a NULL/non-NULL mismatch.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/guest_mem.h"

#define PAGE 4096u

static uint8_t pattern(unsigned seed, uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 8) * 7 + (off >> 16) + seed * 29 + 1);
}

/* A memfd of @size bytes filled with pattern(seed, offset). */
static int pattern_fd(size_t size, unsigned seed)
{
	int fd = memfd_create("test_guest_mem", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	uint8_t *buf = malloc(size);
	assert_non_null(buf);
	for (size_t i = 0; i < size; i++)
		buf[i] = pattern(seed, i);
	assert_int_equal(pwrite(fd, buf, size, 0), (ssize_t)size);
	free(buf);
	return fd;
}

static struct pb_guest_mem *new_mem(void)
{
	struct pb_guest_mem *mem = malloc(sizeof(*mem));
	assert_non_null(mem);
	memset(mem, 0xa5, sizeof(*mem)); /* init must not rely on zeroed memory */
	pb_guest_mem_init(mem);
	assert_int_equal(mem->nregions, 0);
	return mem;
}

static void free_mem(struct pb_guest_mem *mem)
{
	pb_guest_mem_clear(mem);
	free(mem);
}

/* Translate with a fresh hint, and again with every interesting hint value:
 * all must agree. */
static uint8_t *gpa(const struct pb_guest_mem *mem, uint64_t addr, uint64_t len)
{
	unsigned hint = 0;
	uint8_t *p = pb_guest_mem_gpa_to_host(mem, addr, len, &hint);
	const unsigned hints[] = {
	    1, 2, mem->nregions - 1, mem->nregions, mem->nregions + 1, UINT_MAX, 0x5a5a5a5a};

	if (p)
		assert_true(hint < mem->nregions);
	for (size_t i = 0; i < PB_ARRAY_SIZE(hints); i++) {
		unsigned h = hints[i];
		assert_ptr_equal(pb_guest_mem_gpa_to_host(mem, addr, len, &h), p);
	}
	return p;
}

static void test_empty(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	unsigned hint = 0;

	(void)state;
	assert_null(pb_guest_mem_gpa_to_host(mem, 0, 1, &hint));
	assert_null(pb_guest_mem_gpa_to_host(mem, 0x1000, 0, &hint));
	assert_null(pb_guest_mem_uva_to_host(mem, 0, 1));
	assert_int_equal(pb_guest_mem_find_gpa(mem, 0), -1);
	assert_int_equal(pb_guest_mem_remove(mem, 0, PAGE, 0), -ENOENT);
	free_mem(mem);
}

static void test_add_translate(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	const uint64_t g = 0x100000, u = 0x7f0000000000, size = 3 * PAGE;
	int fd = pattern_fd(size, 1);

	(void)state;
	assert_int_equal(pb_guest_mem_add(mem, fd, g, size, u, 0), 0);
	close(fd); /* the mapping outlives the fd */
	assert_int_equal(mem->nregions, 1);

	uint8_t *base = gpa(mem, g, 1);
	assert_non_null(base);
	for (uint64_t off = 0; off < size; off += 511) {
		uint8_t *p = gpa(mem, g + off, 1);
		assert_ptr_equal(p, base + off);
		assert_int_equal(*p, pattern(1, off));
		assert_ptr_equal(pb_guest_mem_uva_to_host(mem, u + off, 1), p);
	}
	/* Whole region, last byte, and every way of running off either end. */
	assert_ptr_equal(gpa(mem, g, size), base);
	assert_ptr_equal(gpa(mem, g + size - 1, 1), base + size - 1);
	assert_int_equal(base[size - 1], pattern(1, size - 1));
	assert_null(gpa(mem, g + size, 1));
	assert_null(gpa(mem, g - 1, 1));
	assert_null(gpa(mem, g - 1, 2));
	assert_null(gpa(mem, g, size + 1));
	assert_null(gpa(mem, g + 1, size));
	assert_null(gpa(mem, g + size - 8, 16));
	assert_null(gpa(mem, g + 8, UINT64_MAX));
	assert_null(gpa(mem, g + 8, UINT64_MAX - 7)); /* gpa + len wraps to g */
	assert_null(gpa(mem, 0, 1));
	assert_null(gpa(mem, UINT64_MAX, 1));
	assert_ptr_equal(pb_guest_mem_uva_to_host(mem, u, size), base);
	assert_null(pb_guest_mem_uva_to_host(mem, u + size, 1));
	assert_null(pb_guest_mem_uva_to_host(mem, u - 1, 2));
	assert_null(pb_guest_mem_uva_to_host(mem, u + 1, size));
	assert_null(pb_guest_mem_uva_to_host(mem, u + 8, UINT64_MAX - 7));
	/* The GPA and UVA spaces are separate: a GPA is not a UVA. */
	assert_null(pb_guest_mem_uva_to_host(mem, g, 1));
	assert_null(gpa(mem, u, 1));

	assert_int_equal(pb_guest_mem_find_gpa(mem, g), 0);
	assert_int_equal(pb_guest_mem_find_gpa(mem, g + size - 1), 0);
	assert_int_equal(pb_guest_mem_find_gpa(mem, g + size), -1);
	assert_int_equal(pb_guest_mem_find_gpa(mem, g - 1), -1);

	/* The mapping is shared: a write through it reaches the file. */
	int fd2 = pattern_fd(PAGE, 2);
	assert_int_equal(pb_guest_mem_add(mem, fd2, 0x200000, PAGE, 0x1000, 0), 0);
	uint8_t *q = gpa(mem, 0x200000 + 100, 4);
	assert_non_null(q);
	memcpy(q, "abcd", 4);
	char back[4];
	assert_int_equal(pread(fd2, back, 4, 100), 4);
	assert_memory_equal(back, "abcd", 4);
	close(fd2);
	free_mem(mem);
}

/* A region near the top of the address space, ending one byte short of
 * 2^64: translations next to the wrap point must not wrap. */
static void test_top_of_address_space(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	const uint64_t g = UINT64_MAX - 2 * PAGE; /* ends at UINT64_MAX - 0 exclusive */
	int fd = pattern_fd(2 * PAGE, 3);

	(void)state;
	assert_int_equal(pb_guest_mem_add(mem, fd, g, 2 * PAGE, UINT64_MAX - 2 * PAGE, 0), 0);
	uint8_t *p = gpa(mem, g, 2 * PAGE);
	assert_non_null(p);
	assert_int_equal(*gpa(mem, UINT64_MAX - 1, 1), pattern(3, 2 * PAGE - 1));
	assert_null(gpa(mem, UINT64_MAX - 1, 2));
	assert_null(gpa(mem, UINT64_MAX, 1));
	assert_null(gpa(mem, g, UINT64_MAX));
	assert_null(pb_guest_mem_uva_to_host(mem, UINT64_MAX - 1, 2));
	assert_null(pb_guest_mem_uva_to_host(mem, UINT64_MAX, 1));
	close(fd);
	free_mem(mem);
}

/* Two regions adjacent in both spaces, backed by different files: a range
 * across the seam is two buffers, not one, and must not translate. */
static void test_adjacent_regions(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fa = pattern_fd(2 * PAGE, 4), fb = pattern_fd(2 * PAGE, 5);
	const uint64_t g = 0x10000, u = 0x500000;

	(void)state;
	assert_int_equal(pb_guest_mem_add(mem, fb, g + 2 * PAGE, 2 * PAGE, u + 2 * PAGE, 0), 0);
	assert_int_equal(pb_guest_mem_add(mem, fa, g, 2 * PAGE, u, 0), 0);
	assert_int_equal(mem->nregions, 2);
	assert_true(mem->regions[0].gpa < mem->regions[1].gpa);

	assert_int_equal(*gpa(mem, g + 2 * PAGE - 1, 1), pattern(4, 2 * PAGE - 1));
	assert_int_equal(*gpa(mem, g + 2 * PAGE, 1), pattern(5, 0));
	assert_non_null(gpa(mem, g + 2 * PAGE - 16, 16));
	assert_non_null(gpa(mem, g + 2 * PAGE, 16));
	assert_null(gpa(mem, g + 2 * PAGE - 16, 17));
	assert_null(gpa(mem, g + 2 * PAGE - 1, 2));
	assert_null(gpa(mem, g, 4 * PAGE));
	assert_null(gpa(mem, g + 4 * PAGE - 1, 2));
	assert_int_equal(pb_guest_mem_find_gpa(mem, g + 2 * PAGE - 1), 0);
	assert_int_equal(pb_guest_mem_find_gpa(mem, g + 2 * PAGE), 1);
	assert_int_equal(pb_guest_mem_find_gpa(mem, g + 4 * PAGE), -1);

	/* The hint pointing at either region must not let the range through. */
	for (unsigned h0 = 0; h0 < 3; h0++) {
		unsigned h = h0;
		assert_null(pb_guest_mem_gpa_to_host(mem, g + 2 * PAGE - 4, 8, &h));
	}

	assert_int_equal(*(uint8_t *)pb_guest_mem_uva_to_host(mem, u + 2 * PAGE, 1), pattern(5, 0));
	assert_null(pb_guest_mem_uva_to_host(mem, u + 2 * PAGE - 4, 8));
	assert_null(pb_guest_mem_uva_to_host(mem, u, 4 * PAGE));
	close(fa);
	close(fb);
	free_mem(mem);
}

static void test_overlap_rejected(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd(16 * PAGE, 6);
	const uint64_t g = 0x100000, u = 0x900000, s = 4 * PAGE;

	(void)state;
	assert_int_equal(pb_guest_mem_add(mem, fd, g, s, u, 0), 0);
	/* GPA overlaps (UVA disjoint): identical, inside, around, one byte
	 * at either end, unaligned. */
	const struct {
		uint64_t g, s;
	} gpas[] = {
	    {g, s},
	    {g + PAGE, PAGE},
	    {g - PAGE, 6 * PAGE},
	    {g - PAGE, PAGE + 1},
	    {g + s - 1, PAGE},
	    {g + 17, 1},
	    {g - 3, 4},
	};
	for (size_t i = 0; i < PB_ARRAY_SIZE(gpas); i++)
		assert_int_equal(pb_guest_mem_add(mem, fd, gpas[i].g, gpas[i].s, 0x40000000, 0),
				 -EINVAL);
	/* UVA overlaps (GPA disjoint). */
	const struct {
		uint64_t u, s;
	} uvas[] = {
	    {u, s}, {u + PAGE, PAGE}, {u - PAGE, 6 * PAGE}, {u - PAGE, PAGE + 1}, {u + s - 1, 1},
	};
	for (size_t i = 0; i < PB_ARRAY_SIZE(uvas); i++)
		assert_int_equal(pb_guest_mem_add(mem, fd, 0x40000000, uvas[i].s, uvas[i].u, 0),
				 -EINVAL);
	assert_int_equal(mem->nregions, 1);

	/* Touching at either end is fine (also the same file range twice:
	 * aliasing the same bytes at two GPAs is the peer's business). */
	assert_int_equal(pb_guest_mem_add(mem, fd, g + s, PAGE, u + s, 0), 0);
	assert_int_equal(pb_guest_mem_add(mem, fd, g - PAGE, PAGE, u - PAGE, 0), 0);
	assert_int_equal(mem->nregions, 3);
	assert_int_equal(*gpa(mem, g - PAGE, 1), pattern(6, 0));
	assert_int_equal(*gpa(mem, g + s, 1), pattern(6, 0));
	close(fd);
	free_mem(mem);
}

static void test_bad_sizes(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd(4 * PAGE, 7);

	(void)state;
	assert_int_equal(pb_guest_mem_add(mem, fd, 0x1000, 0, 0x1000, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, UINT64_MAX - PAGE + 1, 2 * PAGE, 0, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 2 * PAGE, UINT64_MAX - PAGE + 1, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 2 * PAGE, 0, UINT64_MAX - PAGE + 1), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, UINT64_MAX, 0, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 1, UINT64_MAX, 1, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, PAGE, 0, (uint64_t)INT64_MAX + 1), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, -1, 0, PAGE, 0, 0), -EBADF);
	assert_int_equal(mem->nregions, 0);
	close(fd);
	free_mem(mem);
}

/* Mapping past the end of the file would SIGBUS on first touch: rejected
 * up front, whatever the offset. */
static void test_larger_than_file(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd(2 * PAGE, 8);

	(void)state;
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 3 * PAGE, 0, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 2 * PAGE + 1, 0, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 2 * PAGE, 0, PAGE), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, PAGE, 0, 2 * PAGE), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 2 * PAGE - 100, 0, 101), -EINVAL);
	assert_int_equal(mem->nregions, 0);

	/* Exactly up to the end is fine and every byte is readable. */
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, 2 * PAGE - 100, 0, 100), 0);
	uint8_t *p = gpa(mem, 0, 2 * PAGE - 100);
	assert_non_null(p);
	for (unsigned i = 0; i < 2 * PAGE - 100; i++)
		assert_int_equal(p[i], pattern(8, 100 + i));

	/* A file whose size is not a page multiple: up to its last byte. */
	int odd = pattern_fd(PAGE + 10, 9);
	assert_int_equal(pb_guest_mem_add(mem, odd, 0x100000, PAGE + 11, 0x100000, 0), -EINVAL);
	assert_int_equal(pb_guest_mem_add(mem, odd, 0x100000, PAGE + 10, 0x100000, 0), 0);
	assert_int_equal(*gpa(mem, 0x100000 + PAGE + 9, 1), pattern(9, PAGE + 9));
	close(odd);
	close(fd);
	free_mem(mem);
}

/* mmap_offset need not be page aligned (QEMU sends whatever its RAM block
 * offset is): the region must still start at exactly that file byte. */
static void test_unaligned_offset(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd(8 * PAGE, 10);
	const uint64_t offs[] = {17, PAGE + 123, 3 * PAGE - 1, 5 * PAGE};

	(void)state;
	for (size_t i = 0; i < PB_ARRAY_SIZE(offs); i++) {
		uint64_t g = 0x1000000 * (i + 1), u = 0x20000000 + 0x100000 * i;
		uint64_t size = PB_MIN(5000, 8 * PAGE - offs[i]);
		assert_int_equal(pb_guest_mem_add(mem, fd, g, size, u, offs[i]), 0);
		uint8_t *p = gpa(mem, g, size);
		assert_non_null(p);
		for (uint64_t k = 0; k < size; k++)
			assert_int_equal(p[k], pattern(10, offs[i] + k));
		assert_ptr_equal(pb_guest_mem_uva_to_host(mem, u + size - 1, 1), p + size - 1);
		assert_null(gpa(mem, g + size - 1, 2));
		assert_null(gpa(mem, g - 1, 1));
		/* Writes land at the declared file offset. */
		p[size - 1] = 0xee;
		uint8_t b = 0;
		assert_int_equal(pread(fd, &b, 1, (off_t)(offs[i] + size - 1)), 1);
		assert_int_equal(b, 0xee);
		p[size - 1] = pattern(10, offs[i] + size - 1);
	}
	for (size_t i = 0; i < mem->nregions; i++)
		assert_int_equal(mem->regions[i].mmap_off, offs[i]);
	close(fd);
	free_mem(mem);
}

/* Is [p, p+len) mapped in this process? (msync fails with ENOMEM if not.) */
static bool mapped(void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)(PAGE - 1);
	return msync((void *)a, len + ((uintptr_t)p - a), MS_ASYNC) == 0;
}

static void test_remove_clear(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd(3 * PAGE, 11);

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(pb_guest_mem_add(mem, fd, 0x10000 * (i + 1), PAGE,
						  0x7000000 + 0x10000 * i, PAGE * i),
				 0);
	uint8_t *mid = gpa(mem, 0x20000, PAGE);
	assert_non_null(mid);
	assert_true(mapped(mid, PAGE));

	/* All three keys must match. */
	assert_int_equal(pb_guest_mem_remove(mem, 0x20000, PAGE + 1, 0x7010000), -ENOENT);
	assert_int_equal(pb_guest_mem_remove(mem, 0x20000, PAGE, 0x7000000), -ENOENT);
	assert_int_equal(pb_guest_mem_remove(mem, 0x20001, PAGE, 0x7010000), -ENOENT);
	assert_int_equal(mem->nregions, 3);

	assert_int_equal(pb_guest_mem_remove(mem, 0x20000, PAGE, 0x7010000), 0);
	assert_int_equal(mem->nregions, 2);
	assert_false(mapped(mid, PAGE)); /* unmapped, not leaked */
	assert_null(gpa(mem, 0x20000, 1));
	assert_null(pb_guest_mem_uva_to_host(mem, 0x7010000, 1));
	assert_int_equal(*gpa(mem, 0x10000, 1), pattern(11, 0));
	assert_int_equal(*gpa(mem, 0x30000, 1), pattern(11, 2 * PAGE));
	assert_true(mem->regions[0].gpa < mem->regions[1].gpa);
	assert_int_equal(pb_guest_mem_remove(mem, 0x20000, PAGE, 0x7010000), -ENOENT);

	/* The hole can be filled again, also by a differently sized region. */
	assert_int_equal(pb_guest_mem_add(mem, fd, 0x1f000, 2 * PAGE, 0x7010000, PAGE), 0);
	assert_int_equal(*gpa(mem, 0x20000, 1), pattern(11, 2 * PAGE));
	assert_int_equal(mem->nregions, 3);

	uint8_t *first = gpa(mem, 0x10000, 1);
	pb_guest_mem_clear(mem);
	assert_int_equal(mem->nregions, 0);
	assert_false(mapped(first, 1));
	assert_null(gpa(mem, 0x10000, 1));
	assert_null(pb_guest_mem_uva_to_host(mem, 0x7000000, 1));
	/* Usable after clear. */
	assert_int_equal(pb_guest_mem_add(mem, fd, 0x10000, PAGE, 0x7000000, 0), 0);
	assert_int_equal(*gpa(mem, 0x10000, 1), pattern(11, 0));
	close(fd);
	free_mem(mem);
}

/* Hundreds of regions (DPDK stops at 8), added in shuffled order, with gaps
 * between them: the table stays sorted, every lookup bisects to the right
 * region, every gap misses, the table fills at its limit. */
static void test_many_regions(void **state)
{
	enum { N = PB_GUEST_MEM_MAX_REGIONS };
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd((size_t)N * PAGE, 12);
	unsigned order[N];

	(void)state;
	for (unsigned i = 0; i < N; i++)
		order[i] = i;
	srand(12345);
	for (unsigned i = N - 1; i > 0; i--) {
		unsigned j = (unsigned)rand() % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	/* Region k: gpa k*3 pages (two-page gap after each), uva in reverse
	 * order, file page k, size one page minus k%7 bytes. */
	for (unsigned n = 0; n < N; n++) {
		unsigned k = order[n];
		assert_int_equal(pb_guest_mem_add(mem, fd, (uint64_t)k * 3 * PAGE + PAGE,
						  PAGE - k % 7, (uint64_t)(N - k) * 2 * PAGE,
						  (uint64_t)k * PAGE),
				 0);
		assert_int_equal(mem->nregions, n + 1);
	}
	int extra = pattern_fd(PAGE, 13);
	assert_int_equal(pb_guest_mem_add(mem, extra, 0x100000000, PAGE, 0x100000000, 0), -ENOSPC);
	close(extra);
	for (unsigned i = 1; i < N; i++)
		assert_true(mem->regions[i - 1].gpa < mem->regions[i].gpa);

	unsigned hint = 0;
	for (unsigned k = 0; k < N; k++) {
		uint64_t g = (uint64_t)k * 3 * PAGE + PAGE, size = PAGE - k % 7;
		assert_int_equal(pb_guest_mem_find_gpa(mem, g), (int)k);
		assert_int_equal(pb_guest_mem_find_gpa(mem, g + size - 1), (int)k);
		assert_int_equal(pb_guest_mem_find_gpa(mem, g + size), -1);
		assert_int_equal(pb_guest_mem_find_gpa(mem, g - 1), -1);
		/* Hint left over from the previous region: must re-resolve. */
		uint8_t *p = pb_guest_mem_gpa_to_host(mem, g + 5, 10, &hint);
		assert_non_null(p);
		assert_int_equal(hint, k);
		assert_int_equal(p[0], pattern(12, (uint64_t)k * PAGE + 5));
		assert_ptr_equal(gpa(mem, g + size - 1, 1), p - 5 + size - 1);
		assert_null(gpa(mem, g + size - 1, 2));
		assert_null(gpa(mem, g + size, 1));
		assert_null(gpa(mem, g - 1, 1));
		uint64_t u = (uint64_t)(N - k) * 2 * PAGE;
		assert_ptr_equal(pb_guest_mem_uva_to_host(mem, u + 5, 10), p);
		assert_null(pb_guest_mem_uva_to_host(mem, u + size - 1, 2));
	}
	assert_int_equal(pb_guest_mem_find_gpa(mem, 0), -1);
	assert_int_equal(pb_guest_mem_find_gpa(mem, (uint64_t)N * 3 * PAGE + PAGE), -1);

	/* Remove every other region, lookups still right. */
	for (unsigned k = 0; k < N; k += 2)
		assert_int_equal(pb_guest_mem_remove(mem, (uint64_t)k * 3 * PAGE + PAGE,
						     PAGE - k % 7, (uint64_t)(N - k) * 2 * PAGE),
				 0);
	assert_int_equal(mem->nregions, N / 2);
	for (unsigned k = 0; k < N; k++) {
		uint64_t g = (uint64_t)k * 3 * PAGE + PAGE;
		uint8_t *p = gpa(mem, g, 1);
		if (k % 2 == 0) {
			assert_null(p);
		} else {
			assert_non_null(p);
			assert_int_equal(*p, pattern(12, (uint64_t)k * PAGE));
		}
	}
	close(fd);
	free_mem(mem);
}

/* Any hint value, including one naming the wrong region or none at all,
 * gives the same answer as a lookup without one. */
static void test_garbage_hints(void **state)
{
	struct pb_guest_mem *mem = new_mem();
	int fd = pattern_fd(8 * PAGE, 14);

	(void)state;
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(pb_guest_mem_add(mem, fd, 0x100000 + 0x3000 * (uint64_t)i, PAGE,
						  0x100000 + 0x3000 * (uint64_t)i, PAGE * i),
				 0);
	srand(777);
	for (unsigned iter = 0; iter < 200000; iter++) {
		uint64_t addr = 0x100000 - 0x100 + (uint64_t)rand() % (0x3000 * 8 + 0x200);
		uint64_t len = (uint64_t)rand() % 64;
		if (iter % 64 == 0)
			len = UINT64_MAX - (uint64_t)rand() % 64;
		unsigned hint = (unsigned)rand() % 12;
		if (iter % 3 == 0)
			hint = (unsigned)rand() ^ ((unsigned)rand() << 16);

		/* The reference: which region holds the whole range, if any. */
		uint8_t *want = NULL;
		for (unsigned i = 0; i < 8; i++) {
			uint64_t g = 0x100000 + 0x3000 * (uint64_t)i;
			if (addr >= g && addr < g + PAGE && len <= g + PAGE - addr)
				want = mem->regions[i].host + (addr - g);
		}
		uint8_t *got = pb_guest_mem_gpa_to_host(mem, addr, len, &hint);
		assert_ptr_equal(got, want);
		if (got) {
			assert_true(hint < mem->nregions);
			uint64_t fo = (uint64_t)hint * PAGE + (addr - mem->regions[hint].gpa);
			assert_int_equal(*got, pattern(14, fo));
		}
	}
	close(fd);
	free_mem(mem);
}

/* Only regular files are mapped: a pipe (no size to check) is refused. */
static void test_not_a_file(void **state)
{
	(void)state;
	struct pb_guest_mem *mem = new_mem();
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pb_guest_mem_add(mem, p[0], 0, 4096, 0x10000, 0), -EINVAL);
	assert_int_equal(mem->nregions, 0);
	close(p[0]);
	close(p[1]);
	free_mem(mem);
}

/* A sparse file makes terabytes cheap to declare: the total is capped. */
static void test_total_capped(void **state)
{
	(void)state;
	struct pb_guest_mem *mem = new_mem();
	int fd = memfd_create("test_guest_mem_sparse", MFD_CLOEXEC);
	uint64_t half = PB_GUEST_MEM_MAX_BYTES / 2;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(PB_GUEST_MEM_MAX_BYTES * 2)), 0);
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, half, 1ULL << 44, 0), 0);
	assert_int_equal(pb_guest_mem_add(mem, fd, half, half, (1ULL << 44) + half, half), 0);
	assert_int_equal(pb_guest_mem_add(mem, fd, 2 * half, 4096, (1ULL << 45), 2 * half),
			 -ENOMEM);
	assert_int_equal(mem->nregions, 2);
	pb_guest_mem_clear(mem);
	/* Freed again: the cap counts what is mapped now. */
	assert_int_equal(pb_guest_mem_add(mem, fd, 0, half, 1ULL << 44, 0), 0);
	close(fd);
	free_mem(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_add_translate),
	    cmocka_unit_test(test_top_of_address_space),
	    cmocka_unit_test(test_adjacent_regions),
	    cmocka_unit_test(test_overlap_rejected),
	    cmocka_unit_test(test_bad_sizes),
	    cmocka_unit_test(test_larger_than_file),
	    cmocka_unit_test(test_unaligned_offset),
	    cmocka_unit_test(test_remove_clear),
	    cmocka_unit_test(test_many_regions),
	    cmocka_unit_test(test_garbage_hints),
	    cmocka_unit_test(test_not_a_file),
	    cmocka_unit_test(test_total_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
