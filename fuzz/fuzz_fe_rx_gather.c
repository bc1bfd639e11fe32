/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fe_rx_gather.c - a hostile back-end's receive ring as the "virtio:"
 * port reads it (libFuzzer): used elements (split) or used descriptors
 * (packed) with ids, lengths and, in each buffer's virtio-net header,
 * num_buffers as the input says, read through pb_port_rx_burst() - the
 * mergeable-buffer gather in lib/port/virtio_port.c and the ring checks
 * under it.
 *
 * The port is a real one (pb_port_open(), lazy client, never connected):
 * the harness plays the device by writing into the port's own memfd and
 * marks the link up itself, with the features the input picks. Checked:
 *  - no crash, no sanitizer report (the gather scratch is on the heap, so
 *    ASan sees a write past it);
 *  - every frame returned is 1..max_frame bytes and is either a buffer's
 *    payload in place (ring memory, bounds checked by hand: ASan does not
 *    see into the memfd) or a copy whose bytes are exactly the first
 *    buffer's payload after its header followed by the next buffers' bytes,
 *    in ring order, and frames come back in ring order;
 *  - rx_frames grows by the frames returned;
 *  - no receive buffer is lost: once the port has given back what it lent
 *    (prepare_sleep), every RX buffer is posted again, whatever the device
 *    wrote, broken ring or not.
 *
 * Input: byte 0 cfg (bit 0 packed, bit 1 MRG_RXBUF, bit 2 EVENT_IDX, bit 3
 * "lawful" ids and lengths, bits 4-5 which port: queue size / MTU), then
 * rounds of a 3-byte head (entries to write, burst size, bit 0 of the third:
 * split only, publish used->idx up to 127 further than written (stale
 * slots), bit 1: a second burst) and 5 bytes per entry (id selector, len
 * u16, num_buffers u16). In lawful mode the id is one of the buffers the
 * device holds and the length is mostly a full buffer (what a merging
 * device writes), so the fuzzer spends its time in the gather, not in the
 * first rejected id.
 *
 * The port's private state is reached through port->priv, whose first
 * member is the front-end (struct virtio_port in virtio_port.c); setup()
 * checks that it looks like ours before the first input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <patchbay/patchbay.h>

#include "net/virtio_net.h"
#include "port/port_impl.h"
#include "vhost/frontend.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFG_PACKED 0x01
#define CFG_MRG	   0x02
#define CFG_EVIDX  0x04
#define CFG_LAWFUL 0x08

#define MAX_ROUNDS 8
#define NUM_MAX	   256

/* Queue size and MTU of the four ports. 8942 is the MTU whose buffer holds
 * exactly max_frame after the header (52 + 12 + 8942 + 18 = 9024 = 141 * 64):
 * the one size where a merged frame (a full first buffer, then empty ones)
 * can be a lawful frame and reach the gather's success path. */
static const struct {
	uint16_t qsize, mtu;
} port_cfg[4] = {{16, 1500}, {256, 9000}, {32, 8942}, {16, 68}};

static struct pb_port *ports[4];

static struct pb_port *get_port(unsigned i)
{
	char spec[160];

	if (ports[i])
		return ports[i];
	/* lazy=1: nothing is connected in open, and no dispatch is ever
	 * called, so the path need not exist. */
	snprintf(spec, sizeof(spec),
		 "virtio:/nonexistent/pb-fuzz-gather-%u,lazy=1,queue-size=%u,mtu=%u", i,
		 port_cfg[i].qsize, port_cfg[i].mtu);
	ports[i] = pb_port_open(spec);
	CHECK(ports[i]);
	struct pb_vhost_frontend *fe = ports[i]->priv;
	/* The layout this harness relies on: virtio_port starts with fe. */
	CHECK(fe->memfd >= 0 && fe->mem && fe->vq[0].num == port_cfg[i].qsize &&
	      strstr(fe->path, "pb-fuzz-gather-") && !fe->up);
	CHECK(ports[i]->max_frame == port_cfg[i].mtu + PB_ETH_OVERHEAD);
	return ports[i];
}

/* What one used element said, as the driver would read it. */
struct elem {
	uint32_t id, len;
};

/* The device's side of one ring, whichever format. */
struct dev {
	struct pb_vhost_frontend *fe;
	bool packed;
	uint16_t num;
	uint32_t buf_size, stride;
	uint8_t *bufs;
	/* split: the used idx written so far; packed: the next slot and wrap */
	uint16_t idx;
	uint16_t pos;
	bool wrap;
	uint8_t salt;
};

static uint8_t *dev_buf(const struct dev *d, uint32_t id)
{
	return d->bufs + (size_t)id * d->stride + PB_VQ_BUF_PAD;
}

static const uint8_t *posted_of(const struct dev *d)
{
	return d->packed ? d->fe->pq[PB_VNET_RXQ].posted : d->fe->vq[PB_VNET_RXQ].posted;
}

static bool dev_broken(const struct dev *d)
{
	return d->packed ? d->fe->pq[PB_VNET_RXQ].broken : d->fe->vq[PB_VNET_RXQ].broken;
}

/* Used elements written but not yet taken by the driver, oldest first. */
static unsigned pending(const struct dev *d, struct elem *out)
{
	unsigned n = 0;

	if (!d->packed) {
		const struct pb_vq_drv *vq = &d->fe->vq[PB_VNET_RXQ];
		uint16_t cnt = (uint16_t)(d->idx - vq->last_used);
		if (cnt > vq->num)
			cnt = vq->num;
		for (uint16_t j = 0; j < cnt; j++) {
			const struct vring_used_elem *e =
			    &vq->used->ring[(uint16_t)(vq->last_used + j) & vq->mask];
			out[n++] = (struct elem){e->id, e->len};
		}
		return n;
	}
	const struct pb_pq_drv *pq = &d->fe->pq[PB_VNET_RXQ];
	uint32_t from = pb_packed_seq(pq->last_used, pq->used_wrap, pq->num);
	uint32_t to = pb_packed_seq(d->pos, d->wrap, pq->num);
	uint32_t cnt = (to + 2u * pq->num - from) % (2u * pq->num);
	if (cnt > pq->num)
		cnt = 0; /* the driver is ahead: it took slots we never wrote */
	for (uint32_t j = 0; j < cnt; j++) {
		const struct vring_packed_desc *e = &pq->desc[(pq->last_used + j) % pq->num];
		bool w = (e->flags & VRING_DESC_F_WRITE) != 0;
		out[n++] = (struct elem){e->id, w ? e->len : 0};
	}
	return n;
}

/* Fill buffer @id as a device would: a pattern that names the buffer and
 * the round, then the header's num_buffers. */
static void fill_buf(struct dev *d, uint32_t id, uint32_t len, uint16_t nb)
{
	uint8_t *b = dev_buf(d, id);
	uint32_t n = len < d->buf_size ? len : d->buf_size;

	if (n < PB_VNET_HDR_LEN)
		n = PB_VNET_HDR_LEN;
	for (uint32_t i = 0; i < n; i++)
		b[i] = (uint8_t)(id * 7u + i + d->salt * 31u + (i >> 8));
	memcpy(b + offsetof(struct virtio_net_hdr_v1, num_buffers), &nb, sizeof(nb));
}

static void write_elem(struct dev *d, uint32_t id, uint32_t len, bool writable)
{
	if (!d->packed) {
		struct pb_vq_drv *vq = &d->fe->vq[PB_VNET_RXQ];
		struct vring_used_elem *e = &vq->used->ring[d->idx & vq->mask];
		e->id = id;
		e->len = len;
		d->idx++;
		return;
	}
	struct pb_pq_drv *pq = &d->fe->pq[PB_VNET_RXQ];
	struct vring_packed_desc *e = &pq->desc[d->pos];
	e->id = (uint16_t)id;
	e->len = len;
	uint16_t flags =
	    (uint16_t)((writable ? VRING_DESC_F_WRITE : 0) |
		       (d->wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0));
	/* Release: the id and len before the flags that publish them. */
	__atomic_store_n(&e->flags, flags, __ATOMIC_RELEASE);
	if (++d->pos == pq->num) {
		d->pos = 0;
		d->wrap = !d->wrap;
	}
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Is @f the frame made of elements E[k..] (a run)? Returns the run's length
 * in elements, or 0. In place: E[k]'s payload where it lies. Copied: E[k]
 * full, its payload after the header, then whole elements. */
static unsigned match_run(const struct dev *d, const struct pb_frame *f, const struct elem *E,
			  unsigned k, unsigned m)
{
	const uint8_t *p = f->data;
	const struct elem *e = &E[k];

	if (e->len <= PB_VNET_HDR_LEN || e->id >= d->num)
		return 0;
	if (p == dev_buf(d, e->id) + PB_VNET_HDR_LEN)
		return f->len == e->len - PB_VNET_HDR_LEN ? 1 : 0;
	uint32_t first = e->len - PB_VNET_HDR_LEN;
	if (first > f->len || memcmp(p, dev_buf(d, e->id) + PB_VNET_HDR_LEN, first) != 0)
		return 0;
	uint32_t off = first;
	unsigned j = k + 1;
	/* Trailing empty elements belong to the run too: take the longest
	 * one that ends at the frame's length (the next frame is matched
	 * from wherever this run ends, so a shorter pick would only fail
	 * it). */
	while (j < m && off < f->len) {
		const struct elem *x = &E[j];
		if (x->id >= d->num || off + x->len > f->len ||
		    memcmp(p + off, dev_buf(d, x->id), x->len) != 0)
			return 0;
		off += x->len;
		j++;
	}
	if (off != f->len)
		return 0;
	while (j < m && E[j].len == 0 && E[j].id < d->num)
		j++;
	return j - k;
}

static bool in_ring_mem(const struct dev *d, const void *p)
{
	return (const uint8_t *)p >= d->bufs &&
	       (const uint8_t *)p < d->bufs + (size_t)d->num * d->stride;
}

static uint8_t copy_sink[PB_MTU_MAX + PB_ETH_OVERHEAD];

static void burst(struct pb_port *port, struct dev *d, unsigned n)
{
	static struct pb_frame frames[PB_PORT_MAX_BURST];
	static struct elem E[NUM_MAX];
	struct pb_port_stats before, after;

	/* What the driver will read, captured before it reads it: the device
	 * writes nothing while the burst runs. */
	unsigned m = pending(d, E);
	pb_port_get_stats(port, &before);
	unsigned got = pb_port_rx_burst(port, frames, n);
	pb_port_get_stats(port, &after);
	CHECK(got <= n && got <= m);
	CHECK(after.rx_frames - before.rx_frames == got);

	unsigned k = 0;
	for (unsigned i = 0; i < got; i++) {
		const struct pb_frame *f = &frames[i];
		CHECK(f->len >= 1 && f->len <= port->max_frame);
		if (in_ring_mem(d, f->data)) {
			size_t off = (size_t)((uint8_t *)f->data - d->bufs);
			CHECK(off % d->stride == PB_VQ_BUF_PAD + PB_VNET_HDR_LEN);
			CHECK(off % d->stride + f->len <= PB_VQ_BUF_PAD + d->buf_size);
		} else {
			memcpy(copy_sink, f->data, f->len); /* ASan checks the heap copy */
		}
		unsigned run = 0;
		while (k < m && !(run = match_run(d, f, E, k, m)))
			k++;
		if (!run)
			fprintf(stderr, "frame %u (%u bytes) matches no run of the %u elements\n",
				i, f->len, m);
		CHECK(run);
		k += run;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct elem pend[NUM_MAX];
	static uint8_t cnt[NUM_MAX];
	static uint16_t has[NUM_MAX];

	if (size < 1)
		return 0;
	pb_set_log(NULL, PB_LOG_ERR); /* broken rings are the common case */
	uint8_t cfg = data[0];
	struct pb_port *port = get_port((cfg >> 4) & 3);
	struct pb_vhost_frontend *fe = port->priv;
	struct dev d = {.fe = fe, .packed = cfg & CFG_PACKED, .num = fe->vq[0].num, .wrap = true};
	bool evidx = cfg & CFG_EVIDX;
	bool lawful = cfg & CFG_LAWFUL;

	/* A fresh link: as a set-up would leave it (frontend_setup.c). */
	fe->packed = d.packed;
	fe->features = PB_BIT(VIRTIO_F_VERSION_1) | (evidx ? PB_BIT(VIRTIO_RING_F_EVENT_IDX) : 0) |
		       ((cfg & CFG_MRG) ? PB_BIT(VIRTIO_NET_F_MRG_RXBUF) : 0) |
		       (d.packed ? PB_BIT(VIRTIO_F_RING_PACKED) : 0);
	for (int i = 0; i < 2; i++) {
		if (d.packed)
			pb_pq_drv_reset(&fe->pq[i], evidx);
		else
			pb_vq_drv_reset(&fe->vq[i], evidx);
	}
	fe->up = true;
	d.stride = d.packed ? fe->pq[0].stride : fe->vq[0].stride;
	d.buf_size = d.packed ? fe->pq[0].buf_size : fe->vq[0].buf_size;
	d.bufs = d.packed ? fe->pq[0].bufs : fe->vq[0].bufs;

	const uint8_t *in = data + 1;
	size_t left = size - 1;
	for (unsigned round = 0; round < MAX_ROUNDS && left >= 3 && !dev_broken(&d); round++) {
		unsigned k = in[0], n = 1u + in[1];
		uint8_t flags = in[2];
		in += 3;
		left -= 3;
		d.salt = (uint8_t)(d.salt + 1);

		/* The buffers the device holds: posted, not returned yet. */
		unsigned np = pending(&d, pend), nhas = 0;
		memset(cnt, 0, d.num);
		for (unsigned j = 0; j < np; j++)
			if (pend[j].id < d.num)
				cnt[pend[j].id] = 1;
		for (uint16_t id = 0; id < d.num; id++)
			if (posted_of(&d)[id] && !cnt[id])
				has[nhas++] = id;

		for (unsigned j = 0; j < k && left >= 5; j++, in += 5, left -= 5) {
			uint32_t id = in[0];
			uint16_t v = rd16(in + 1), nb = rd16(in + 3);
			uint32_t len = v;
			bool writable = true;
			if (lawful) {
				if (!nhas)
					break;
				unsigned s = in[0] % nhas;
				id = has[s];
				has[s] = has[--nhas];
				switch (v >> 13) {
				case 0:
				case 1:
				case 2:
					len = d.buf_size;
					break;
				case 3:
					len = v % (d.buf_size + 1);
					break;
				case 4:
					len = PB_VNET_HDR_LEN;
					break;
				case 5:
					len = PB_VNET_HDR_LEN + 1 + (v & 63);
					break;
				case 6:
					len = 0;
					break;
				default:
					len = d.buf_size + 1 + (v & 7);
					break; /* too long */
				}
				if (!(nb & 0x8000))
					nb &= 7; /* small counts, mostly */
			} else {
				if (id == 0xff)
					id = 0xffffu; /* far out of range */
				if (v == 0xffff)
					len = UINT32_MAX;
				writable = !(nb & 0x8000); /* packed: len ignored without WRITE */
			}
			if (id < d.num)
				fill_buf(&d, id, len, nb);
			write_elem(&d, id, len, writable);
		}
		if (!d.packed) {
			uint16_t idx = d.idx;
			if (flags & 1) {
				idx = (uint16_t)(idx + (flags >> 1));
				d.idx = idx; /* the driver reads the stale slots too */
			}
			/* Release: the elements and buffers before the index. */
			__atomic_store_n(&fe->vq[PB_VNET_RXQ].used->idx, idx, __ATOMIC_RELEASE);
		}
		burst(port, &d, n);
		if (flags & 2)
			burst(port, &d, n);
	}

	/* Everything lent goes back to the ring: nothing may be lost. */
	CHECK(pb_port_prepare_sleep(port, 0) == 0);
	const uint8_t *posted = posted_of(&d);
	for (uint16_t id = 0; id < d.num; id++) {
		if (!posted[id])
			fprintf(stderr, "RX buffer %u was never given back\n", id);
		CHECK(posted[id]);
	}
	if (d.packed)
		CHECK(fe->pq[PB_VNET_RXQ].inflight == d.num);
	return 0;
}
