/* SPDX-License-Identifier: MIT */
/*
 * fuzz_packed_walk.c - a hostile peer's packed virtqueue (libFuzzer).
 *
 * Device mode (the default): the input becomes guest memory - the
 * descriptor ring, the driver's event word, and two data areas, one in each
 * of two guest regions with a gap between them, where indirect tables and
 * buffers live - plus the ring size, the vring base (both halves) and what
 * to do each round. The device attaches, counts, pops every chain, touches
 * every byte of every segment (writing the writable ones), sometimes gives
 * the last chain back, pushes (in pop order or reversed), flushes; then
 * more input is written over the ring (the driver's next move, or its
 * attack) and the next round runs. Checked: no crash or sanitizer report,
 * every segment lies wholly inside one region's mapping (ASan cannot see
 * past an mmap, so this is checked by hand), the chain's counts add up, a
 * round consumes no more slots than pb_pq_dev_avail() counted unless the
 * ring broke, a chain given back comes back the same, every slot popped is
 * pushed back (the positions keep their distance when nothing is in
 * flight), and the walk ends. A writable buffer may lie over the ring or an
 * indirect table (the driver's choice): writing it changes what the walk
 * reads, so the two checks that assume still memory are made only when
 * guest memory did not change.
 *
 * Driver mode (cfg bit 7): the input becomes the used descriptors a hostile
 * device writes over our ring (bit 0 of the base field picks an RX queue; a
 * TX queue posts the buffers named by a 32-byte bitmap that follows the
 * header); every used descriptor the driver accepts must be one it posted,
 * with a length that fits its buffer, and its count of buffers in flight
 * must match ours.
 *
 * Input layout: an 8-byte header (cfg, base low half (2), used-half control,
 * used position, round ops, two spare), then num descriptors (16 bytes
 * each), then the driver's event word (device mode) or the device's (driver
 * mode), then the data areas (the rest, cut in two). Short inputs are
 * zero-filled. Rounds after the first take 16 * num more bytes each.
 *
 * "Compact" mode (cfg bit 2) keeps only 16 bits of each record's addr and
 * len, so that valid addresses (all below 64 KiB here) are easy to reach.
 * "Fix-up" mode (ops bit 7) turns bit 7 of each slot's flags into "make it
 * available (device mode) / used (driver mode) under the right wrap
 * counter", so the fuzzer need not find the two-bit encoding lap by lap.
 */
#include <string.h>

#include "ring/packed_device.h"
#include "ring/packed_driver.h"
#include "walk_common.h"

/* The guest layout is walk_common.h's (as in fuzz_desc_walk.c): the event
 * words on the ring's second and third pages. */
#define DRIVER_GPA AREA2_GPA
#define DEVICE_GPA AREA3_GPA

#define HDR_LEN	  8
#define OPS_FIXUP 0x80
#define ROUNDS	  3

static const uint16_t sizes[8] = {1, 2, 3, 5, 8, 16, 64, 256};

/* Driver mode: our own ring, not guest memory. */
static uint8_t drv_ring[6 * 4096] __attribute__((aligned(4096)));
static uint8_t drv_bufs[256 * DRV_STRIDE] __attribute__((aligned(64)));

static void check_layout(void)
{
	CHECK(sizeof(struct vring_packed_desc) * 256 <= DRIVER_GPA - DESC_GPA);
	CHECK(pb_pq_drv_ring_size(256) <= sizeof(drv_ring));
}

/* Fix-up: bit 7 of a slot's flags says "mark it"; the two ring bits are
 * set for the lap the reader expects at that slot: @wrap from slot @pos on,
 * the other lap before it. @used: as used (AVAIL == USED == wrap), else as
 * available (AVAIL == wrap, USED != wrap). */
static void fixup(struct vring_packed_desc *ring, uint16_t num, uint16_t pos, bool wrap, bool used)
{
	for (uint16_t i = 0; i < num; i++) {
		uint16_t f = ring[i].flags;
		bool w = i >= pos ? wrap : !wrap;

		if (!(f & VRING_PACKED_DESC_F_AVAIL))
			continue;
		f &= (uint16_t) ~(VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED);
		if (used)
			f |= w ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0;
		else
			f |= w ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
		ring[i].flags = f;
	}
}

static void check_chain(const struct pb_pq_dev *vq, const struct pb_vq_chain *c, int rc)
{
	CHECK(c->head < vq->num);
	CHECK(vq->inflight[c->head] >= 1);
	walk_check_segments(c, rc);
}

static void device_mode(uint8_t cfg, uint16_t num, const uint8_t *hdr, const uint8_t *in,
			size_t left)
{
	static struct pb_pq_dev vq;
	static struct pb_vq_chain chain;
	static uint16_t heads[256];
	/* Guest memory as the round began: the ring, and the indirect tables
	 * and buffers a chain may name (a writable buffer may lie over any of
	 * them, and writing it changes what the next walk reads). */
	static uint8_t still0[R0_SIZE], still1[R1_SIZE];
	struct vring_packed_desc *ring = (struct vring_packed_desc *)walk_host(DESC_GPA);
	uint16_t lo = (uint16_t)(hdr[1] | hdr[2] << 8);
	uint32_t base = ((lo & 0x7fffu) % num) | (lo & 0x8000u);
	uint8_t ops = hdr[5];

	if (hdr[3] & 1) /* a used half too, as QEMU sends */
		base |= (uint32_t)((hdr[4] % num) | (hdr[3] & 2 ? 0x8000u : 0)) << 16;
	walk_clear();
	walk_take((uint8_t *)ring, sizeof(*ring) * num, &in, &left);
	walk_take(walk_host(DRIVER_GPA), 4, &in, &left);
	/* The data areas come from the end, so rounds can take from the front. */
	size_t data = left > 2 * 0x3000 ? 2 * 0x3000 : left;
	size_t half = data / 2;
	size_t n0 = half, n1 = data - half;
	walk_load_data(cfg, in + left - data, n0, in + left - data + half, n1);
	left -= data;

	vq.callfd = (cfg & CFG_NOTIFY) ? walk_efd : -1;
	int rc =
	    pb_pq_dev_attach(&vq, walk_mem, num, DESC_GPA + UVA_SHIFT, DRIVER_GPA + UVA_SHIFT,
			     DEVICE_GPA + UVA_SHIFT, base, cfg & CFG_EVENT_IDX, cfg & CFG_INDIRECT);
	CHECK(rc == 0);
	CHECK(pb_pq_dev_attached(&vq));
	/* How far the used position is behind: kept while nothing is in flight. */
	const uint32_t span = 2u * num;
	const uint32_t lag = (pb_packed_seq(vq.last_avail, vq.avail_wrap, num) + span -
			      pb_packed_seq(vq.used_idx, vq.used_wrap, num)) %
			     span;

	for (unsigned round = 0; round < ROUNDS && !vq.broken; round++) {
		if (round) /* the driver's next move: new bytes over the ring */
			walk_take((uint8_t *)ring, sizeof(*ring) * num, &in, &left);
		if (cfg & CFG_COMPACT)
			walk_compact((uint8_t *)ring, sizeof(*ring) * num);
		if (ops & OPS_FIXUP)
			fixup(ring, num, vq.last_avail, vq.avail_wrap, false);
		if (cfg & CFG_NOTIFY)
			pb_pq_dev_set_notify(&vq, (ops >> round) & 1);
		memcpy(still0, walk_host(R0_GPA), R0_SIZE);
		memcpy(still1, walk_host(R1_GPA), R1_SIZE);
		uint32_t start = pb_packed_seq(vq.last_avail, vq.avail_wrap, num);
		uint16_t n = pb_pq_dev_avail(&vq);
		CHECK(n <= num);
		unsigned popped = 0;
		for (unsigned k = 0; k <= num; k++) {
			rc = pb_pq_dev_pop(&vq, &chain);
			if (rc == PB_VQ_POP_EMPTY || rc == PB_VQ_POP_BROKEN)
				break;
			CHECK(rc == PB_VQ_POP_OK || rc == PB_VQ_POP_TOO_LONG);
			check_chain(&vq, &chain, rc);
			heads[popped++] = chain.head;
		}
		CHECK(popped <= num);
		bool same = memcmp(still0, walk_host(R0_GPA), R0_SIZE) == 0 &&
			    memcmp(still1, walk_host(R1_GPA), R1_SIZE) == 0;
		if (rc == PB_VQ_POP_BROKEN) {
			CHECK(vq.broken);
		} else {
			CHECK(rc == PB_VQ_POP_EMPTY);
			/* No more slots than were counted available. */
			uint32_t now = pb_packed_seq(vq.last_avail, vq.avail_wrap, num);
			CHECK(!same || (now + span - start) % span <= n);
			CHECK(vq.inflight_desc <= num);
		}
		/* Give the last chain back and take it again, now and then. */
		if (!vq.broken && popped && (ops & 0x10)) {
			uint16_t before = vq.last_avail, head = heads[--popped];
			pb_pq_dev_unpop(&vq, head);
			rc = pb_pq_dev_pop(&vq, &chain);
			if (rc == PB_VQ_POP_OK || rc == PB_VQ_POP_TOO_LONG) {
				check_chain(&vq, &chain, rc);
				heads[popped++] = chain.head;
			}
			if (same) {
				/* The ring did not move: the same chain comes back. */
				CHECK(rc == PB_VQ_POP_OK || rc == PB_VQ_POP_TOO_LONG);
				CHECK(chain.head == head);
				CHECK(vq.last_avail == before);
			}
		}
		/* Push everything: in pop order or reversed. */
		for (unsigned k = 0; k < popped; k++) {
			unsigned i = (ops & 0x20) ? popped - 1 - k : k;
			pb_pq_dev_push(&vq, heads[i], k);
			if ((ops & 0x40) && (k & 3) == 3)
				pb_pq_dev_flush(&vq);
		}
		pb_pq_dev_flush(&vq);
		if (!vq.broken) {
			CHECK(vq.inflight_desc == 0);
			/* Nothing in flight: the positions are as far apart as at
			 * attach (every slot popped was skipped by a push). */
			CHECK((pb_packed_seq(vq.last_avail, vq.avail_wrap, num) + span -
			       pb_packed_seq(vq.used_idx, vq.used_wrap, num)) %
				  span ==
			      lag);
		}
		/* A driver event word for the next flush. */
		walk_take(walk_host(DRIVER_GPA), 4, &in, &left);
	}
	walk_drain_eventfd();
	pb_pq_dev_detach(&vq);
}

static void driver_mode(uint8_t cfg, uint16_t num, const uint8_t *hdr, const uint8_t *in,
			size_t left)
{
	static struct pb_pq_drv vq;
	bool rx = hdr[1] & 1;
	uint8_t ops = hdr[5];
	bool shadow[256] = {false};
	unsigned nshadow = 0;
	uint8_t bitmap[32];

	if (num < 2)
		num = 2;
	if (pb_pq_drv_init(&vq, drv_ring, drv_bufs, num, DRV_STRIDE, rx, cfg & CFG_EVENT_IDX))
		abort();
	vq.kickfd = (cfg & CFG_NOTIFY) ? walk_efd : -1;
	walk_take(bitmap, sizeof(bitmap), &in, &left);
	for (uint16_t i = 0; i < num; i++) {
		if (rx) {
			shadow[i] = true;
			nshadow++;
		} else if (bitmap[i / 8] & (1u << (i % 8))) {
			pb_pq_drv_post(&vq, i, 1 + (bitmap[(i + 7) % 32] % vq.buf_size));
			shadow[i] = true;
			nshadow++;
		}
	}
	pb_pq_drv_publish(&vq);
	walk_take((uint8_t *)vq.device_event, 4, &in, &left);

	for (unsigned round = 0; round < ROUNDS && !vq.broken; round++) {
		/* The device's move: used descriptors over our ring. */
		walk_take((uint8_t *)vq.desc, sizeof(*vq.desc) * num, &in, &left);
		if (ops & OPS_FIXUP)
			fixup(vq.desc, num, vq.last_used, vq.used_wrap, true);
		if (cfg & CFG_NOTIFY)
			pb_pq_drv_set_notify(&vq, (ops >> round) & 1);
		uint16_t n = pb_pq_drv_used(&vq);
		CHECK(n <= num);
		CHECK(n <= nshadow);
		for (unsigned k = 0; k <= n; k++) {
			uint16_t id;
			uint32_t len;
			if (!pb_pq_drv_take(&vq, &id, &len))
				break;
			CHECK(k < n);
			CHECK(id < num && shadow[id]);
			CHECK(len <= vq.buf_size);
			shadow[id] = false;
			nshadow--;
			if ((ops >> (4 + round % 3)) & 1) { /* give some back */
				pb_pq_drv_post(&vq, id, rx ? vq.buf_size : 1);
				shadow[id] = true;
				nshadow++;
			}
		}
		CHECK(vq.inflight == nshadow);
		pb_pq_drv_publish(&vq);
		walk_take((uint8_t *)vq.device_event, 4, &in, &left);
	}
	walk_drain_eventfd();
	pb_pq_drv_fini(&vq);
}

static uint16_t ring_size(uint8_t cfg)
{
	return sizes[(cfg >> 3) & 7];
}

const struct walk_harness walk_harness = {
    .name = "fuzz_packed_walk",
    .hdr_len = HDR_LEN,
    .check_layout = check_layout,
    .ring_size = ring_size,
    .device = device_mode,
    .driver = driver_mode,
};
