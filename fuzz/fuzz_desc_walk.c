/* SPDX-License-Identifier: MIT */
/*
 * fuzz_desc_walk.c - a hostile peer's split virtqueue (libFuzzer).
 *
 * Device mode (the default): the input becomes guest memory - the
 * descriptor table, the avail ring (flags, entries, used_event) and two
 * data areas, one in each of two guest regions with a gap between them,
 * where indirect tables and buffers live - plus the queue size, the base
 * index, features and how far avail->idx runs ahead in each of three
 * rounds. The device attaches, pops every chain, touches every byte of
 * every segment (writing the writable ones), pushes and flushes. Checked:
 * no crash or sanitizer report, every segment lies wholly inside one
 * region's mapping (ASan cannot see past an mmap, so this is checked by
 * hand), the chain's counts add up, exactly the announced number of chains
 * is popped unless the ring broke, and the walk ends.
 *
 * Driver mode (cfg bit 7): the input becomes the used ring a hostile device
 * writes (bit 0 of the base field picks an RX queue; a TX queue posts the
 * buffers named by a 32-byte bitmap that follows the header); every element
 * the driver accepts must be one it posted, with a length that fits its
 * buffer.
 *
 * Input layout: a 6-byte header, then num descriptors (16 bytes each), then
 * avail flags + ring[num] + used_event (device mode) or used flags +
 * ring[num] + avail_event (driver mode), then the data areas (the rest, cut
 * in two). Short inputs are zero-filled.
 *
 * In "compact" mode (cfg bit 2) every 16-byte record of the descriptor table
 * and the data areas keeps only 16 bits of addr and len, so that valid
 * addresses (all below 64 KiB here) are easy for the fuzzer to reach.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <patchbay/patchbay.h>

#include "mem/guest_mem.h"
#include "ring/split_device.h"
#include "ring/split_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Not CHECK(): must hold whatever NDEBUG says. */
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Guest layout: region 0 is GPA [0x1000, 0xc000) at file offset 0; a gap;
 * region 1 is GPA [0xd000, 0x10000) at the unaligned file offset 0xb010.
 * UVA = GPA + UVA_SHIFT, so a mix-up of the two spaces shows. */
#define R0_GPA	  0x1000u
#define R0_SIZE	  0xb000u
#define R1_GPA	  0xd000u
#define R1_SIZE	  0x3000u
#define R1_OFF	  0xb010u
#define FILE_SIZE 0x10000u
#define UVA_SHIFT 0x100000u

#define DESC_GPA  0x1000u /* up to 256 * 16 */
#define AVAIL_GPA 0x2000u
#define USED_GPA  0x3000u
#define DATA0_GPA 0x4000u /* to the end of region 0 */
#define DATA1_GPA R1_GPA  /* all of region 1 */

#define HDR_LEN	      6
#define CFG_EVENT_IDX 0x01
#define CFG_INDIRECT  0x02
#define CFG_COMPACT   0x04
#define CFG_NOTIFY    0x40
#define CFG_DRIVER    0x80

static struct pb_guest_mem *mem;
static int efd = -1;

/* Driver mode: our own ring, not guest memory. */
#define DRV_STRIDE 128
static uint8_t drv_ring[3 * 4096] __attribute__((aligned(4096)));
static uint8_t drv_bufs[256 * DRV_STRIDE];

static void setup(void)
{
	mem = calloc(1, sizeof(*mem));
	int fd = memfd_create("fuzz_desc_walk", MFD_CLOEXEC);
	if (!mem || fd < 0 || ftruncate(fd, FILE_SIZE) < 0)
		abort();
	pb_guest_mem_init(mem);
	if (pb_guest_mem_add(mem, fd, R0_GPA, R0_SIZE, R0_GPA + UVA_SHIFT, 0) ||
	    pb_guest_mem_add(mem, fd, R1_GPA, R1_SIZE, R1_GPA + UVA_SHIFT, R1_OFF))
		abort();
	close(fd);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		abort();
	pb_set_log(NULL, PB_LOG_ERR); /* a broken ring is the common case: no warning each */
	CHECK(pb_vring_desc_size(256) <= AVAIL_GPA - DESC_GPA);
	CHECK(pb_vring_avail_size(256) <= USED_GPA - AVAIL_GPA);
	CHECK(USED_GPA + pb_vring_used_size(256) <= DATA0_GPA);
	CHECK(pb_vq_drv_ring_size(256) <= sizeof(drv_ring));
}

static uint8_t *host(uint64_t gpa)
{
	unsigned hint = 0;
	uint8_t *p = pb_guest_mem_gpa_to_host(mem, gpa, 1, &hint);

	CHECK(p);
	return p;
}

/* Consume up to @len input bytes into @dst, zero-filling the rest. */
static void take(uint8_t *dst, size_t len, const uint8_t **in, size_t *left)
{
	size_t n = *left < len ? *left : len;

	memcpy(dst, *in, n);
	memset(dst + n, 0, len - n);
	*in += n;
	*left -= n;
}

static void compact(uint8_t *p, size_t len)
{
	for (size_t off = 0; off + 16 <= len; off += 16) {
		struct vring_desc d;
		memcpy(&d, p + off, sizeof(d));
		d.addr &= 0xffff;
		d.len &= 0xffff;
		memcpy(p + off, &d, sizeof(d));
	}
}

/* [p, p+len) lies inside one region's mapping. */
static bool in_guest(const uint8_t *p, uint32_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct pb_guest_region *r = &mem->regions[i];
		if (p >= r->host && (uint64_t)(p - r->host) + len <= r->size)
			return true;
	}
	return false;
}

static volatile uint8_t sink;
static uint8_t scratch[FILE_SIZE]; /* no segment is longer than a region */

static void check_chain(const struct pb_vq_dev *vq, const struct pb_vq_chain *c, int rc)
{
	uint64_t out = 0, in = 0;
	uint8_t sum = 0;

	CHECK(c->head < vq->num);
	CHECK(c->nseg <= PB_VQ_MAX_SEGS);
	CHECK(rc == PB_VQ_POP_OK || c->nseg == PB_VQ_MAX_SEGS);
	CHECK(c->nout <= c->nseg); /* also for TOO_LONG (test_chain_too_long_counts) */
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

static void device_mode(uint8_t cfg, uint16_t num, uint16_t base, const uint8_t *delta,
			const uint8_t *in, size_t left)
{
	static struct pb_vq_dev vq;
	static struct pb_vq_chain chain;
	uint8_t *avail = host(AVAIL_GPA);

	for (unsigned i = 0; i < mem->nregions; i++)
		memset(mem->regions[i].host, 0, mem->regions[i].size);
	take(host(DESC_GPA), pb_vring_desc_size(num), &in, &left);
	take(avail, 2, &in, &left);			  /* flags */
	take(avail + 4, 2 * (size_t)num + 2, &in, &left); /* ring, used_event */
	size_t half = left / 2;
	size_t n0 = half < R0_GPA + R0_SIZE - DATA0_GPA ? half : R0_GPA + R0_SIZE - DATA0_GPA;
	size_t n1 = left - half < R1_SIZE ? left - half : R1_SIZE;
	memcpy(host(DATA0_GPA), in, n0);
	memcpy(host(DATA1_GPA), in + half, n1);
	if (cfg & CFG_COMPACT) {
		compact(host(DESC_GPA), pb_vring_desc_size(num));
		compact(host(DATA0_GPA), n0);
		compact(host(DATA1_GPA), n1);
	}

	vq.callfd = (cfg & CFG_NOTIFY) ? efd : -1;
	int rc =
	    pb_vq_dev_attach(&vq, mem, num, DESC_GPA + UVA_SHIFT, AVAIL_GPA + UVA_SHIFT,
			     USED_GPA + UVA_SHIFT, base, cfg & CFG_EVENT_IDX, cfg & CFG_INDIRECT);
	CHECK(rc == 0);
	CHECK(pb_vq_dev_attached(&vq));

	struct vring_avail *av = (struct vring_avail *)avail;
	uint16_t idx = base;
	for (unsigned round = 0; round < 3 && !vq.broken; round++) {
		idx = (uint16_t)(idx + delta[round]);
		pb_store_release(&av->idx, idx);
		if (cfg & CFG_NOTIFY)
			pb_vq_dev_set_notify(&vq, round & 1);
		uint16_t before = vq.last_avail;
		uint16_t n = pb_vq_dev_avail(&vq);
		CHECK(n <= num);
		if (vq.broken)
			break;
		CHECK(n == (uint16_t)(idx - before));
		unsigned popped = 0;
		for (unsigned k = 0; k <= num; k++) {
			rc = pb_vq_dev_pop(&vq, &chain);
			if (rc == PB_VQ_POP_EMPTY || rc == PB_VQ_POP_BROKEN)
				break;
			CHECK(rc == PB_VQ_POP_OK || rc == PB_VQ_POP_TOO_LONG);
			check_chain(&vq, &chain, rc);
			pb_vq_dev_push(&vq, chain.head, rc == PB_VQ_POP_OK ? chain.in_len : 0);
			popped++;
			if ((k & 3) == 3)
				pb_vq_dev_flush(&vq);
		}
		if (rc == PB_VQ_POP_BROKEN) {
			CHECK(vq.broken);
		} else {
			CHECK(popped == n);
			CHECK(rc == PB_VQ_POP_EMPTY);
			CHECK(vq.last_avail == idx);
		}
		pb_vq_dev_flush(&vq);
	}
	uint64_t v;
	if (read(efd, &v, sizeof(v)) < 0) {
		/* not signalled */
	}
	pb_vq_dev_detach(&vq);
}

static void driver_mode(uint8_t cfg, uint16_t num, uint16_t base, const uint8_t *delta,
			const uint8_t *in, size_t left)
{
	static struct pb_vq_drv vq;
	bool rx = base & 1; /* no base index on this side: bit 0 picks RX */
	bool shadow[256] = {false};
	uint8_t bitmap[32];

	if (pb_vq_drv_init(&vq, drv_ring, drv_bufs, num, DRV_STRIDE, rx, cfg & CFG_EVENT_IDX))
		abort();
	vq.kickfd = (cfg & CFG_NOTIFY) ? efd : -1;
	take(bitmap, sizeof(bitmap), &in, &left);
	for (uint16_t i = 0; i < num; i++) {
		if (rx)
			shadow[i] = true;
		else if (bitmap[i / 8] & (1u << (i % 8))) {
			pb_vq_drv_post(&vq, i, 1 + (bitmap[(i + 7) % 32] % vq.buf_size));
			shadow[i] = true;
		}
	}
	pb_vq_drv_publish(&vq);
	uint8_t *used = (uint8_t *)vq.used;
	take(used, 2, &in, &left);			 /* flags */
	take(used + 4, 8 * (size_t)num + 2, &in, &left); /* ring, avail_event */

	uint16_t idx = 0;
	for (unsigned round = 0; round < 3 && !vq.broken; round++) {
		idx = (uint16_t)(idx + delta[round]);
		pb_store_release(&vq.used->idx, idx);
		if (cfg & CFG_NOTIFY)
			pb_vq_drv_set_notify(&vq, round & 1);
		uint16_t n = pb_vq_drv_used(&vq);
		CHECK(n <= num);
		while (n--) {
			uint16_t id;
			uint32_t len;
			if (!pb_vq_drv_take(&vq, &id, &len)) {
				CHECK(vq.broken);
				break;
			}
			CHECK(id < num && shadow[id]);
			CHECK(len <= vq.buf_size);
			shadow[id] = false;
			if (round & 1) { /* give some back */
				pb_vq_drv_post(&vq, id, rx ? vq.buf_size : 1);
				shadow[id] = true;
			}
		}
		pb_vq_drv_publish(&vq);
		/* The next round's elements: more input over the used ring. */
		take(used + 4, 8 * (size_t)num, &in, &left);
	}
	uint64_t v;
	if (read(efd, &v, sizeof(v)) < 0) {
		/* not signalled */
	}
	pb_vq_drv_fini(&vq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem)
		setup();
	if (size < HDR_LEN)
		return 0;

	uint8_t cfg = data[0];
	uint16_t num = (uint16_t)(2u << ((cfg >> 3) & 7)); /* 2..256 */
	uint16_t base = (uint16_t)(data[1] | data[2] << 8);
	const uint8_t *delta = data + 3;

	if (cfg & CFG_DRIVER)
		driver_mode(cfg, num, base, delta, data + HDR_LEN, size - HDR_LEN);
	else
		device_mode(cfg, num, base, delta, data + HDR_LEN, size - HDR_LEN);
	return 0;
}
