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
#include <string.h>

#include "ring/split_device.h"
#include "ring/split_driver.h"
#include "walk_common.h"

/* The guest layout is walk_common.h's: the ring's second and third pages. */
#define AVAIL_GPA AREA2_GPA
#define USED_GPA  AREA3_GPA

#define HDR_LEN 6

/* Driver mode: our own ring, not guest memory. */
static uint8_t drv_ring[3 * 4096] __attribute__((aligned(4096)));
static uint8_t drv_bufs[256 * DRV_STRIDE];

static void check_layout(void)
{
	CHECK(pb_vring_desc_size(256) <= AVAIL_GPA - DESC_GPA);
	CHECK(pb_vring_avail_size(256) <= USED_GPA - AVAIL_GPA);
	CHECK(USED_GPA + pb_vring_used_size(256) <= DATA0_GPA);
	CHECK(pb_vq_drv_ring_size(256) <= sizeof(drv_ring));
}

static void check_chain(const struct pb_vq_dev *vq, const struct pb_vq_chain *c, int rc)
{
	CHECK(c->head < vq->num);
	walk_check_segments(c, rc);
}

static void device_mode(uint8_t cfg, uint16_t num, const uint8_t *hdr, const uint8_t *in,
			size_t left)
{
	uint16_t base = (uint16_t)(hdr[1] | hdr[2] << 8);
	const uint8_t *delta = hdr + 3; /* avail/used idx steps, one a round */
	static struct pb_vq_dev vq;
	static struct pb_vq_chain chain;
	uint8_t *avail = walk_host(AVAIL_GPA);

	walk_clear();
	walk_take(walk_host(DESC_GPA), pb_vring_desc_size(num), &in, &left);
	walk_take(avail, 2, &in, &left);		       /* flags */
	walk_take(avail + 4, 2 * (size_t)num + 2, &in, &left); /* ring, used_event */
	size_t half = left / 2;
	size_t n0 = half < R0_GPA + R0_SIZE - DATA0_GPA ? half : R0_GPA + R0_SIZE - DATA0_GPA;
	size_t n1 = left - half < R1_SIZE ? left - half : R1_SIZE;
	if (cfg & CFG_COMPACT)
		walk_compact(walk_host(DESC_GPA), pb_vring_desc_size(num));
	walk_load_data(cfg, in, n0, in + half, n1);

	vq.callfd = (cfg & CFG_NOTIFY) ? walk_efd : -1;
	int rc =
	    pb_vq_dev_attach(&vq, walk_mem, num, DESC_GPA + UVA_SHIFT, AVAIL_GPA + UVA_SHIFT,
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
	walk_drain_eventfd();
	pb_vq_dev_detach(&vq);
}

static void driver_mode(uint8_t cfg, uint16_t num, const uint8_t *hdr, const uint8_t *in,
			size_t left)
{
	uint16_t base = (uint16_t)(hdr[1] | hdr[2] << 8);
	const uint8_t *delta = hdr + 3; /* avail/used idx steps, one a round */
	static struct pb_vq_drv vq;
	bool rx = base & 1; /* no base index on this side: bit 0 picks RX */
	bool shadow[256] = {false};
	uint8_t bitmap[32];

	if (pb_vq_drv_init(&vq, drv_ring, drv_bufs, num, DRV_STRIDE, rx, cfg & CFG_EVENT_IDX))
		abort();
	vq.kickfd = (cfg & CFG_NOTIFY) ? walk_efd : -1;
	walk_take(bitmap, sizeof(bitmap), &in, &left);
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
	walk_take(used, 2, &in, &left);			      /* flags */
	walk_take(used + 4, 8 * (size_t)num + 2, &in, &left); /* ring, avail_event */

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
		walk_take(used + 4, 8 * (size_t)num, &in, &left);
	}
	walk_drain_eventfd();
	pb_vq_drv_fini(&vq);
}

/* 2..256: split rings are powers of two. */
static uint16_t ring_size(uint8_t cfg)
{
	return (uint16_t)(2u << ((cfg >> 3) & 7));
}

const struct walk_harness walk_harness = {
    .name = "fuzz_desc_walk",
    .hdr_len = HDR_LEN,
    .check_layout = check_layout,
    .ring_size = ring_size,
    .device = device_mode,
    .driver = driver_mode,
};
