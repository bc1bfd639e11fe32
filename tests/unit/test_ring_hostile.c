/* SPDX-License-Identifier: MIT */
/*
 * test_ring_hostile.c - rings written by a hostile peer, over both ring
 * kinds (ring_rig.h): buffers and indirect tables outside guest memory or
 * across its regions, misordered or malformed chains, and a device that
 * returns what it was never given. Every check on peer data must fire and
 * say why; none may hang or touch memory outside the table. The checks that
 * only one layout has (split's next links, packed's slots and wrap
 * counters) are in test_split_ring.c and test_packed_hostile.c.
 */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring_rig.h"

#define W   VRING_DESC_F_WRITE
#define IND VRING_DESC_F_INDIRECT

/* A hostile case: @setup offers what the first pop must break on; the
 * ring says why in words that differ by kind where the checks do. */
struct hostile_case {
	const char *name;
	void (*setup)(struct rig *);
	bool indirect;	    /* VIRTIO_F_INDIRECT_DESC negotiated */
	const char *why[2]; /* by enum ring_kind */
};

static void run_cases(const struct ring_ops *o, const struct hostile_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		print_message("  %s\n", c[i].name);
		rig_hostile(o, c[i].indirect, c[i].setup, c[i].why[o->kind]);
	}
}

/* One chain of @n descriptors as buffer 0. */
static void offer0(struct rig *r, const struct rig_desc *d, unsigned n)
{
	rig_offer(r, 0, d, n);
}

/* ---- buffers ---- */

static void buf_outside(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{0x1000, 16, 0}}, 1);
}

static void buf_cross_end(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(r->map) + r->size - 8, 16, W}}, 1);
}

static void buf_huge(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(r->map), UINT32_MAX, W}}, 1);
}

static void buf_wraps(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{UINT64_MAX - 3, 16, 0}}, 1);
}

static void buf_before_start(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(r->map) - 8, 16, 0}}, 1);
}

/* A bad buffer after a good one in the chain. */
static void buf_outside_late(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(rig_buf(r, 0)), 16, 0}, {G(r->map) + r->size, 1, 0}}, 2);
}

static void readable_after_writable(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(rig_buf(r, 0)), 16, W}, {G(rig_buf(r, 1)), 16, 0}}, 2);
}

#define OUTSIDE "buffer outside guest memory"
#define RAW	"readable after writable descriptor"

static const struct hostile_case buffer_cases[] = {
    {"outside", buf_outside, true, {OUTSIDE, OUTSIDE}},
    {"across the end", buf_cross_end, true, {OUTSIDE, OUTSIDE}},
    {"4 GiB long", buf_huge, true, {OUTSIDE, OUTSIDE}},
    {"wraps the address space", buf_wraps, true, {OUTSIDE, OUTSIDE}},
    {"before the start", buf_before_start, true, {OUTSIDE, OUTSIDE}},
    {"outside, second in the chain", buf_outside_late, true, {OUTSIDE, OUTSIDE}},
    {"readable after writable", readable_after_writable, true, {RAW, RAW}},
};

static void test_hostile_buffers(void **state)
{
	run_cases(rig_ops(state), buffer_cases, PB_ARRAY_SIZE(buffer_cases));
}

/* ---- indirect tables ---- */

/* A table of @n readable 16-byte buffers in the scratch area. */
static uint32_t plain_table(struct rig *r, unsigned n)
{
	struct rig_desc d[4];

	for (unsigned k = 0; k < n; k++)
		d[k] = (struct rig_desc){G(rig_buf(r, 1)), 16, 0};
	return rig_table(r, r->scratch, d, n);
}

static void ind_one(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(r->scratch), plain_table(r, 1), IND}}, 1);
}

static void ind_len(struct rig *r, uint32_t len)
{
	plain_table(r, 4);
	offer0(r, (struct rig_desc[]){{G(r->scratch), len, IND}}, 1);
}

static void ind_len0(struct rig *r)
{
	ind_len(r, 0);
}

static void ind_len8(struct rig *r)
{
	ind_len(r, 8);
}

static void ind_len17(struct rig *r)
{
	ind_len(r, 17);
}

static void ind_len40(struct rig *r)
{
	ind_len(r, 40);
}

static void ind_len_huge(struct rig *r)
{
	ind_len(r, 16u * (PB_VRING_MAX_SIZE + 1));
}

/* The descriptor naming a table may not go on to another descriptor. */
static void ind_with_next(struct rig *r)
{
	uint32_t len = plain_table(r, 1);

	offer0(r, (struct rig_desc[]){{G(r->scratch), len, IND}, {G(rig_buf(r, 1)), 16, 0}}, 2);
}

static void ind_outside(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{0x1000, 32, IND}}, 1);
}

static void ind_cross_end(struct rig *r)
{
	offer0(r, (struct rig_desc[]){{G(r->map) + r->size - 16, 32, IND}}, 1);
}

static void ind_nested(struct rig *r)
{
	const struct rig_desc t[] = {{G(rig_buf(r, 1)), 16, 0}, {G(r->scratch), 32, IND}};
	uint32_t len = rig_table(r, r->scratch, t, 2);

	offer0(r, (struct rig_desc[]){{G(r->scratch), len, IND}}, 1);
}

static void ind_buf_cross_end(struct rig *r)
{
	const struct rig_desc t[] = {{G(rig_buf(r, 1)), 16, 0}, {G(r->map) + r->size - 4, 8, W}};
	uint32_t len = rig_table(r, r->scratch, t, 2);

	offer0(r, (struct rig_desc[]){{G(r->scratch), len, IND}}, 1);
}

static void ind_buf_outside(struct rig *r)
{
	const struct rig_desc t[] = {{G(rig_buf(r, 0)), 8, 0}, {0x2000, 8, 0}};
	uint32_t len = rig_table(r, r->scratch, t, 2);

	offer0(r, (struct rig_desc[]){{G(r->scratch), len, IND}}, 1);
}

#define BAD_LEN	      "bad indirect table length"
#define TABLE_OUTSIDE "indirect table outside guest memory"

static const struct hostile_case indirect_cases[] = {
    {"not negotiated",
     ind_one,
     false,
     {"unexpected indirect descriptor", "indirect descriptor not negotiated"}},
    {"length 0", ind_len0, true, {BAD_LEN, BAD_LEN}},
    {"length 8", ind_len8, true, {BAD_LEN, BAD_LEN}},
    {"length 17", ind_len17, true, {BAD_LEN, BAD_LEN}},
    {"length 40", ind_len40, true, {BAD_LEN, BAD_LEN}},
    {"longer than a ring can be", ind_len_huge, true, {BAD_LEN, BAD_LEN}},
    {"with NEXT",
     ind_with_next,
     true,
     {"indirect descriptor with NEXT", "indirect descriptor in a chain"}},
    {"table outside", ind_outside, true, {TABLE_OUTSIDE, TABLE_OUTSIDE}},
    {"table across the end", ind_cross_end, true, {TABLE_OUTSIDE, TABLE_OUTSIDE}},
    {"nested", ind_nested, true, {"unexpected indirect descriptor", "nested indirect table"}},
    {"buffer across the end", ind_buf_cross_end, true, {OUTSIDE, OUTSIDE}},
    {"buffer outside", ind_buf_outside, true, {OUTSIDE, OUTSIDE}},
};

static void test_hostile_indirect(void **state)
{
	run_cases(rig_ops(state), indirect_cases, PB_ARRAY_SIZE(indirect_cases));
}

/* ---- guest memory in several regions ---- */

/* A second memfd of one page mapped right after the rig's memory in GPA
 * space (and far away as a UVA): the end of the first region is @return. */
static uint64_t add_second_region(struct rig *r, const char *text)
{
	uint64_t end = G(r->map) + r->size;
	int fd2 = memfd_create("second", MFD_CLOEXEC);

	assert_true(fd2 >= 0);
	assert_int_equal(ftruncate(fd2, 4096), 0);
	if (text)
		assert_int_equal(pwrite(fd2, text, strlen(text), 0), (ssize_t)strlen(text));
	assert_int_equal(pb_guest_mem_add(&r->mem, fd2, end, 4096, end + (1ULL << 32), 0), 0);
	close(fd2);
	return end;
}

/* Two regions back to back in GPA space, from different files: a buffer
 * across the seam is not contiguous in our mappings and must be refused;
 * one wholly in the second region is read from the second file. */
static void test_buffer_across_regions(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 8, 256, false, true, true);
	struct pb_vq_chain *c = &r->chain;
	uint64_t end = add_second_region(r, "second region");

	rig_offer(r, 0, (struct rig_desc[]){{end, 13, 0}}, 1);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(c->seg[0].len, 13);
	assert_memory_equal(c->seg[0].base, "second region", 13);

	/* An indirect table in the second region, naming a buffer in the first. */
	uint8_t *second = r->mem.regions[1].host;
	assert_int_equal(r->mem.regions[1].gpa, end);
	uint32_t len = rig_table(r, second + 64, (struct rig_desc[]){{G(rig_buf(r, 3)), 5, 0}}, 1);
	rig_offer(r, 1, (struct rig_desc[]){{end + 64, len, IND}}, 1);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_ptr_equal(c->seg[0].base, rig_dev_view(r, rig_buf(r, 3)));

	rig_last_log[0] = 0;
	rig_offer(r, 2, (struct rig_desc[]){{end - 8, 16, 0}}, 1);
	rig_expect_broken(r, rig_pop(r), OUTSIDE);
	rig_free(r);

	/* The same for an indirect table across the seam. */
	r = rig_new(o, 8, 256, false, true, true);
	end = add_second_region(r, NULL);
	rig_last_log[0] = 0;
	rig_offer(r, 0, (struct rig_desc[]){{end - 16, 32, IND}}, 1);
	rig_expect_broken(r, rig_pop(r), TABLE_OUTSIDE);
	rig_free(r);
}

/* One file in two regions, back to back in both GPA and host space: each
 * region alone works, a buffer across them is still refused (they are two
 * mappings, not one). */
static void test_buffer_across_split_file(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r = rig_new(o, 8, RIG_STRIDE(256), false, false, false);
	size_t half = r->size / 2 & ~(size_t)4095;

	o->dev_detach(r);
	pb_guest_mem_clear(&r->mem);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map), half, G(r->map), 0), 0);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map) + half, r->size - half,
					  G(r->map) + half, half),
			 0);
	assert_int_equal(o->dev_attach(r, &r->mem), 0);
	rig_offer(r, 0, (struct rig_desc[]){{G(r->map) + half - 8, 8, 0}}, 1);
	rig_offer(r, 1, (struct rig_desc[]){{G(r->map) + half, 8, 0}}, 1);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	assert_int_equal(rig_pop(r), PB_VQ_POP_OK);
	rig_offer(r, 2, (struct rig_desc[]){{G(r->map) + half - 8, 9, 0}}, 1);
	rig_last_log[0] = 0;
	rig_expect_broken(r, rig_pop(r), OUTSIDE);
	rig_free(r);
}

/* ---- a hostile device: the driver must break ---- */

static void test_driver_hostile_used(void **state)
{
	const struct ring_ops *o = rig_ops(state);
	struct rig *r;
	uint16_t id = 0;
	uint32_t len = 0;

	/* An id out of range (RX: every buffer is posted). */
	r = rig_new(o, 8, 256, true, true, true);
	o->put_used(r, 0, 8, 10);
	assert_int_equal(o->drv_used(r), 1);
	assert_false(o->drv_take(r, &id, &len));
	assert_true(o->drv_broken(r));
	assert_int_equal(o->drv_used_pos(r), 0);
	rig_free(r);

	/* An id that is not posted (TX: nothing is, until posted). */
	r = rig_new(o, 8, 256, false, true, true);
	o->drv_post(r, 0, 10);
	o->drv_publish(r);
	o->put_used(r, 0, 1, 0);
	assert_int_equal(o->drv_used(r), 1);
	assert_false(o->drv_take(r, &id, &len));
	assert_true(o->drv_broken(r));
	rig_free(r);

	/* The same id returned twice. */
	r = rig_new(o, 8, 256, true, true, true);
	o->put_used(r, 0, 4, 10);
	o->put_used(r, 1, 4, 10);
	assert_int_equal(o->drv_used(r), 2);
	assert_true(o->drv_take(r, &id, &len));
	assert_int_equal(id, 4);
	assert_false(o->drv_take(r, &id, &len));
	assert_true(o->drv_broken(r));
	rig_free(r);

	/* A length beyond the buffer; exactly buf_size is fine. */
	r = rig_new(o, 8, 256, true, true, true);
	o->put_used(r, 0, 3, r->buf_size);
	o->put_used(r, 1, 4, r->buf_size + 1);
	assert_int_equal(o->drv_used(r), 2);
	assert_true(o->drv_take(r, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, r->buf_size);
	assert_false(o->drv_broken(r));
	assert_false(o->drv_take(r, &id, &len));
	assert_true(o->drv_broken(r));
	rig_free(r);

	/* A length near 2^32. */
	r = rig_new(o, 8, 256, true, true, true);
	o->put_used(r, 0, 3, UINT32_MAX);
	assert_false(o->drv_take(r, &id, &len));
	assert_true(o->drv_broken(r));
	rig_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RING_TESTS(test_hostile_buffers),	    RING_TESTS(test_hostile_indirect),
	    RING_TESTS(test_buffer_across_regions), RING_TESTS(test_buffer_across_split_file),
	    RING_TESTS(test_driver_hostile_used),
	};

	return RIG_RUN(tests);
}
