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
#include "ring/packed_device.h"
#include "ring/packed_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x)) {                                                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Guest layout as in fuzz_desc_walk.c: region 0 is GPA [0x1000, 0xc000) at
 * file offset 0; a gap; region 1 is GPA [0xd000, 0x10000) at the unaligned
 * file offset 0xb010. UVA = GPA + UVA_SHIFT. */
#define R0_GPA	  0x1000u
#define R0_SIZE	  0xb000u
#define R1_GPA	  0xd000u
#define R1_SIZE	  0x3000u
#define R1_OFF	  0xb010u
#define FILE_SIZE 0x10000u
#define UVA_SHIFT 0x100000u

#define DESC_GPA   0x1000u /* up to 256 * 16 */
#define DRIVER_GPA 0x2000u /* driver event word */
#define DEVICE_GPA 0x3000u /* device event word */
#define DATA0_GPA  0x4000u /* to the end of region 0 */
#define DATA1_GPA  R1_GPA  /* all of region 1 */

#define HDR_LEN	      8
#define CFG_EVENT_IDX 0x01
#define CFG_INDIRECT  0x02
#define CFG_COMPACT   0x04
#define CFG_NOTIFY    0x40
#define CFG_DRIVER    0x80
#define OPS_FIXUP     0x80
#define ROUNDS	      3

static const uint16_t sizes[8] = {1, 2, 3, 5, 8, 16, 64, 256};

static struct pb_guest_mem *mem;
static int efd = -1;

/* Driver mode: our own ring, not guest memory. */
#define DRV_STRIDE 128
static uint8_t drv_ring[6 * 4096] __attribute__((aligned(4096)));
static uint8_t drv_bufs[256 * DRV_STRIDE] __attribute__((aligned(64)));

static void setup(void)
{
	mem = calloc(1, sizeof(*mem));
	int fd = memfd_create("fuzz_packed_walk", MFD_CLOEXEC);
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
	CHECK(sizeof(struct vring_packed_desc) * 256 <= DRIVER_GPA - DESC_GPA);
	CHECK(pb_pq_drv_ring_size(256) <= sizeof(drv_ring));
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
		struct vring_packed_desc d;
		memcpy(&d, p + off, sizeof(d));
		d.addr &= 0xffff;
		d.len &= 0xffff;
		memcpy(p + off, &d, sizeof(d));
	}
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

static void check_chain(const struct pb_pq_dev *vq, const struct pb_vq_chain *c, int rc)
{
	uint64_t out = 0, in = 0;
	uint8_t sum = 0;

	CHECK(c->head < vq->num);
	CHECK(vq->inflight[c->head] >= 1);
	CHECK(c->nseg <= PB_VQ_MAX_SEGS);
	CHECK(rc == PB_VQ_POP_OK || c->nseg == PB_VQ_MAX_SEGS);
	CHECK(c->nout <= c->nseg);
	for (unsigned s = 0; s < c->nseg; s++) {
		uint8_t *p = c->seg[s].base;
		uint32_t len = c->seg[s].len;
		CHECK(len > 0);
		CHECK(in_guest(p, len));
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
	struct vring_packed_desc *ring = (struct vring_packed_desc *)host(DESC_GPA);
	uint16_t lo = (uint16_t)(hdr[1] | hdr[2] << 8);
	uint32_t base = ((lo & 0x7fffu) % num) | (lo & 0x8000u);
	uint8_t ops = hdr[5];

	if (hdr[3] & 1) /* a used half too, as QEMU sends */
		base |= (uint32_t)((hdr[4] % num) | (hdr[3] & 2 ? 0x8000u : 0)) << 16;
	for (unsigned i = 0; i < mem->nregions; i++)
		memset(mem->regions[i].host, 0, mem->regions[i].size);
	take((uint8_t *)ring, sizeof(*ring) * num, &in, &left);
	take(host(DRIVER_GPA), 4, &in, &left);
	/* The data areas come from the end, so rounds can take from the front. */
	size_t data = left > 2 * 0x3000 ? 2 * 0x3000 : left;
	size_t half = data / 2;
	size_t n0 = half, n1 = data - half;
	memcpy(host(DATA0_GPA), in + left - data, n0);
	memcpy(host(DATA1_GPA), in + left - data + half, n1);
	left -= data;
	if (cfg & CFG_COMPACT) {
		compact(host(DATA0_GPA), n0);
		compact(host(DATA1_GPA), n1);
	}

	vq.callfd = (cfg & CFG_NOTIFY) ? efd : -1;
	int rc =
	    pb_pq_dev_attach(&vq, mem, num, DESC_GPA + UVA_SHIFT, DRIVER_GPA + UVA_SHIFT,
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
			take((uint8_t *)ring, sizeof(*ring) * num, &in, &left);
		if (cfg & CFG_COMPACT)
			compact((uint8_t *)ring, sizeof(*ring) * num);
		if (ops & OPS_FIXUP)
			fixup(ring, num, vq.last_avail, vq.avail_wrap, false);
		if (cfg & CFG_NOTIFY)
			pb_pq_dev_set_notify(&vq, (ops >> round) & 1);
		memcpy(still0, host(R0_GPA), R0_SIZE);
		memcpy(still1, host(R1_GPA), R1_SIZE);
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
		bool same = memcmp(still0, host(R0_GPA), R0_SIZE) == 0 &&
			    memcmp(still1, host(R1_GPA), R1_SIZE) == 0;
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
		take(host(DRIVER_GPA), 4, &in, &left);
	}
	uint64_t v;
	if (read(efd, &v, sizeof(v)) < 0) {
		/* not signalled */
	}
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
	vq.kickfd = (cfg & CFG_NOTIFY) ? efd : -1;
	take(bitmap, sizeof(bitmap), &in, &left);
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
	take((uint8_t *)vq.device_event, 4, &in, &left);

	for (unsigned round = 0; round < ROUNDS && !vq.broken; round++) {
		/* The device's move: used descriptors over our ring. */
		take((uint8_t *)vq.desc, sizeof(*vq.desc) * num, &in, &left);
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
		take((uint8_t *)vq.device_event, 4, &in, &left);
	}
	uint64_t v;
	if (read(efd, &v, sizeof(v)) < 0) {
		/* not signalled */
	}
	pb_pq_drv_fini(&vq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!mem)
		setup();
	if (size < HDR_LEN)
		return 0;

	uint8_t cfg = data[0];
	uint16_t num = sizes[(cfg >> 3) & 7];

	if (cfg & CFG_DRIVER)
		driver_mode(cfg, num, data, data + HDR_LEN, size - HDR_LEN);
	else
		device_mode(cfg, num, data, data + HDR_LEN, size - HDR_LEN);
	return 0;
}
