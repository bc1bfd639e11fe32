/* SPDX-License-Identifier: MIT */
/*
 * walk_common.c - the guest memory, input reader and chain invariants of
 * walk_common.h, shared by fuzz_desc_walk and fuzz_packed_walk.
 */
#include "walk_common.h"

#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring/packed_ring.h"
#include "ring/virtio_ring.h"

struct pb_guest_mem *walk_mem;
int walk_efd = -1;

void walk_setup(const char *name)
{
	walk_mem = calloc(1, sizeof(*walk_mem));
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (!walk_mem || fd < 0 || ftruncate(fd, FILE_SIZE) < 0)
		abort();
	pb_guest_mem_init(walk_mem);
	if (pb_guest_mem_add(walk_mem, fd, R0_GPA, R0_SIZE, R0_GPA + UVA_SHIFT, 0) ||
	    pb_guest_mem_add(walk_mem, fd, R1_GPA, R1_SIZE, R1_GPA + UVA_SHIFT, R1_OFF))
		abort();
	close(fd);
	walk_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (walk_efd < 0)
		abort();
	pb_set_log(NULL, PB_LOG_ERR); /* a broken ring is the common case: no warning each */
}

void walk_clear(void)
{
	for (unsigned i = 0; i < walk_mem->nregions; i++)
		memset(walk_mem->regions[i].host, 0, walk_mem->regions[i].size);
}

uint8_t *walk_host(uint64_t gpa)
{
	unsigned hint = 0;
	uint8_t *p = pb_guest_mem_gpa_to_host(walk_mem, gpa, 1, &hint);

	CHECK(p);
	return p;
}

void walk_take(uint8_t *dst, size_t len, const uint8_t **in, size_t *left)
{
	size_t n = *left < len ? *left : len;

	memcpy(dst, *in, n);
	memset(dst + n, 0, len - n);
	*in += n;
	*left -= n;
}

void walk_compact(uint8_t *p, size_t len)
{
	_Static_assert(sizeof(struct vring_desc) == 16 && sizeof(struct vring_packed_desc) == 16,
		       "16-byte records");
	_Static_assert(offsetof(struct vring_packed_desc, len) == offsetof(struct vring_desc, len),
		       "len at the same offset in both layouts");
	for (size_t off = 0; off + 16 <= len; off += 16) {
		struct vring_desc d;
		memcpy(&d, p + off, sizeof(d));
		d.addr &= 0xffff;
		d.len &= 0xffff;
		memcpy(p + off, &d, sizeof(d));
	}
}

void walk_load_data(uint8_t cfg, const uint8_t *src0, size_t n0, const uint8_t *src1, size_t n1)
{
	CHECK(n0 <= R0_GPA + R0_SIZE - DATA0_GPA && n1 <= R1_SIZE);
	memcpy(walk_host(DATA0_GPA), src0, n0);
	memcpy(walk_host(DATA1_GPA), src1, n1);
	if (cfg & CFG_COMPACT) {
		walk_compact(walk_host(DATA0_GPA), n0);
		walk_compact(walk_host(DATA1_GPA), n1);
	}
}

/* [p, p+len) lies inside one region's mapping. */
static bool in_guest(const uint8_t *p, uint32_t len)
{
	for (unsigned i = 0; i < walk_mem->nregions; i++) {
		const struct pb_guest_region *r = &walk_mem->regions[i];
		if (p >= r->host && (uint64_t)(p - r->host) + len <= r->size)
			return true;
	}
	return false;
}

static volatile uint8_t sink;
static uint8_t scratch[FILE_SIZE]; /* no segment is longer than a region */

void walk_check_segments(const struct pb_vq_chain *c, int rc)
{
	uint64_t out = 0, in = 0;
	uint8_t sum = 0;

	CHECK(c->nseg <= PB_VQ_MAX_SEGS);
	CHECK(rc == PB_VQ_POP_OK || c->nseg == PB_VQ_MAX_SEGS);
	CHECK(c->nout <= c->nseg);
	for (unsigned s = 0; s < c->nseg; s++) {
		uint8_t *p = c->seg[s].base;
		uint32_t len = c->seg[s].len;
		CHECK(len > 0);
		CHECK(in_guest(p, len));
		/* Every byte, through libc (fast, and range-checked by ASan's
		 * interceptors): reads of the readable, writes to the writable. */
		if (s < c->nout) {
			memcpy(scratch, p, len);
			sum ^= scratch[len - 1];
			out += len;
		} else {
			memset(p, (int)s, len);
			in += len;
		}
	}
	sink = sum;
	CHECK(c->out_len == (out > UINT32_MAX ? UINT32_MAX : out));
	CHECK(c->in_len == (in > UINT32_MAX ? UINT32_MAX : in));
}

void walk_drain_eventfd(void)
{
	uint64_t v;

	if (read(walk_efd, &v, sizeof(v)) < 0) {
		/* not signalled */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct walk_harness *h = &walk_harness;

	if (!walk_mem) {
		walk_setup(h->name);
		h->check_layout();
	}
	if (size < h->hdr_len)
		return 0;

	uint8_t cfg = data[0];
	uint16_t num = h->ring_size(cfg);

	if (cfg & CFG_DRIVER)
		h->driver(cfg, num, data, data + h->hdr_len, size - h->hdr_len);
	else
		h->device(cfg, num, data, data + h->hdr_len, size - h->hdr_len);
	return 0;
}
