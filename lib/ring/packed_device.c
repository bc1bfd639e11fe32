/* SPDX-License-Identifier: MIT */
/*
 * packed_device.c - device side of the packed virtqueue: attach to the
 * peer's ring, walk descriptor chains, write used descriptors, notify.
 *
 * Security model (see packed_device.h): the driver is untrusted and writes
 * the ring concurrently. Each descriptor field is loaded once into a local
 * and only the local is used; a chain is bounded by the slots the device
 * does not hold, so a ring whose every slot says NEXT ends as an error, not
 * a hang; every buffer is translated with its full length; ids index our
 * side array only after the range check. Violations set `broken`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring/packed_device.h"
#include "util/log.h"
#include "util/sock.h"

int pb_pq_dev_attach(struct pb_pq_dev *vq, const struct pb_guest_mem *mem, uint16_t num,
		     uint64_t desc_uva, uint64_t driver_uva, uint64_t device_uva, uint32_t base,
		     bool event_idx, bool indirect)
{
	int callfd = vq->callfd;
	uint64_t calls = vq->calls, relabeled = vq->relabeled;
	uint16_t avail = (uint16_t)base;
	uint16_t used = (uint16_t)(base >> 16);

	free(vq->inflight);
	vq->inflight = NULL;
	vq->desc = NULL;
	if (num == 0 || num > PB_VRING_MAX_SIZE)
		return -EINVAL;
	/* §2.8.10.1: descriptor ring 16, event suppression areas 4. */
	if ((desc_uva & 15) || (driver_uva & 3) || (device_uva & 3))
		return -EINVAL;
	if (used == 0)
		used = avail; /* only the avail half was sent (DPDK) */
	if ((avail & 0x7fff) >= num || (used & 0x7fff) >= num)
		return -EINVAL;
	struct vring_packed_desc *desc =
	    pb_guest_mem_uva_to_host(mem, desc_uva, (uint64_t)sizeof(*desc) * num);
	uint32_t *drv = pb_guest_mem_uva_to_host(mem, driver_uva, PB_PACKED_EVENT_SIZE);
	uint32_t *dev = pb_guest_mem_uva_to_host(mem, device_uva, PB_PACKED_EVENT_SIZE);
	if (!desc || !drv || !dev)
		return -EFAULT;
	/* A region whose user address is not congruent with its file offset
	 * turns aligned ring addresses into misaligned host pointers; the
	 * atomics on flags and event words need natural alignment. */
	if (((uintptr_t)desc & 15) || ((uintptr_t)drv & 3) || ((uintptr_t)dev & 3))
		return -EINVAL;
	uint16_t *inflight = calloc(num, sizeof(*inflight));
	if (!inflight)
		return -ENOMEM;

	memset(vq, 0, sizeof(*vq));
	vq->desc = desc;
	vq->driver_event = drv;
	vq->device_event = dev;
	vq->mem = mem;
	vq->num = num;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->callfd = callfd;
	vq->calls = calls;
	vq->relabeled = relabeled;
	vq->inflight = inflight;
	vq->last_avail = avail & 0x7fff;
	vq->avail_wrap = avail >> PB_PACKED_WRAP_SHIFT;
	vq->used_idx = used & 0x7fff;
	vq->used_wrap = used >> PB_PACKED_WRAP_SHIFT;
	vq->used_pub = vq->used_idx;
	vq->used_pub_wrap = vq->used_wrap;
	pb_pq_dev_set_notify(vq, false);
	return 0;
}

void pb_pq_dev_detach(struct pb_pq_dev *vq)
{
	if (vq->desc && !vq->broken && vq->pending) {
		/* Release: as in pb_pq_dev_flush(); a driver that polls sees
		 * the batch, one that sleeps is told by the next owner. */
		pb_store_release(&vq->desc[vq->first_pos].flags, vq->first_flags);
		vq->used_pub = vq->used_idx;
		vq->used_pub_wrap = vq->used_wrap;
	}
	free(vq->inflight);
	vq->inflight = NULL;
	vq->desc = NULL;
	vq->driver_event = NULL;
	vq->device_event = NULL;
	vq->num = 0;
	vq->pending = 0;
	vq->avail_ahead = 0;
	vq->inflight_desc = 0;
	vq->broken = false;
}

void pb_pq_dev_break(struct pb_pq_dev *vq, const char *why, unsigned value)
{
	if (!vq->broken)
		pb_warn("packed virtqueue: peer broke the ring: %s (%u); queue stopped", why,
			value);
	vq->broken = true;
}

static int broken(struct pb_pq_dev *vq, const char *why, unsigned value)
{
	pb_pq_dev_break(vq, why, value);
	return PB_VQ_POP_BROKEN;
}

static inline uint32_t sat_add(uint32_t a, uint32_t b)
{
	uint32_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT32_MAX : r;
}

/* What the walk of one chain has seen so far. */
struct walk {
	bool too_long;	 /* more segments than PB_VQ_MAX_SEGS: walked, not recorded */
	bool seen_write; /* a writable segment came already */
	bool lenient;	 /* in an indirect table: see add_seg() */
};

/*
 * Record one buffer of the chain: translated, in order, bounded.
 *
 * §2.8.20: device-readable buffers precede device-writable ones; in the
 * ring a readable one after a writable one breaks the queue. In an indirect
 * table it instead turns every segment before it readable: DPDK 22.11's
 * virtio-user leaves VRING_DESC_F_WRITE on the virtio-net header entry of
 * its packed TX tables (and DPDK's vhost never looks). Reading a buffer the
 * driver let us write is harmless; what matters, that we never write into
 * one it marked readable, still holds: a segment is writable only if it and
 * every one after it say WRITE. Counted in vq->relabeled.
 */
static int add_seg(struct pb_pq_dev *vq, struct pb_vq_chain *c, struct walk *w, uint64_t addr,
		   uint32_t len, bool writable)
{
	if (len == 0)
		return 0;
	if (!writable && w->seen_write) {
		if (!w->lenient)
			return broken(vq, "readable after writable descriptor", len);
		c->out_len = sat_add(c->out_len, c->in_len);
		c->in_len = 0;
		c->nout = c->nseg;
		w->seen_write = false;
		vq->relabeled++;
	}
	w->seen_write |= writable;
	if (w->too_long || c->nseg == PB_VQ_MAX_SEGS) {
		/* Legal but more than we gather: keep walking to the id. */
		w->too_long = true;
		return 0;
	}
	uint8_t *p = pb_guest_mem_gpa_to_host(vq->mem, addr, len, &vq->mem_hint);
	if (!p)
		return broken(vq, "buffer outside guest memory", len);
	if (writable) {
		c->in_len = sat_add(c->in_len, len);
	} else {
		c->out_len = sat_add(c->out_len, len);
		c->nout++;
	}
	c->seg[c->nseg].base = p;
	c->seg[c->nseg].len = len;
	c->nseg++;
	return 0;
}

/*
 * An indirect table (§2.8.7): len / 16 packed descriptors, all of them
 * part of the buffer, in order (NEXT and id are ignored there, as the spec
 * says). Copied one entry at a time with memcpy, once: the table may be
 * misaligned and the driver may rewrite it while we look.
 */
static int walk_indirect(struct pb_pq_dev *vq, struct pb_vq_chain *c, struct walk *w, uint64_t addr,
			 uint32_t len)
{
	if (len == 0 || len % sizeof(struct vring_packed_desc) ||
	    len / sizeof(struct vring_packed_desc) > PB_VRING_MAX_SIZE)
		return broken(vq, "bad indirect table length", len);
	const uint8_t *t = pb_guest_mem_gpa_to_host(vq->mem, addr, len, &vq->mem_hint);
	if (!t)
		return broken(vq, "indirect table outside guest memory", len);
	uint32_t n = len / sizeof(struct vring_packed_desc);

	w->lenient = true;
	for (uint32_t i = 0; i < n; i++) {
		struct vring_packed_desc e;

		memcpy(&e, t + (size_t)i * sizeof(e), sizeof(e));
		__asm__ volatile("" ::: "memory"); /* no re-reading the entry below */
		if (e.flags & VRING_DESC_F_INDIRECT)
			return broken(vq, "nested indirect table", i);
		int rc = add_seg(vq, c, w, e.addr, e.len, e.flags & VRING_DESC_F_WRITE);
		if (rc)
			return rc;
	}
	return 0;
}

int pb_pq_dev_pop(struct pb_pq_dev *vq, struct pb_vq_chain *c)
{
	if (unlikely(!vq->desc || vq->broken))
		return vq->broken ? PB_VQ_POP_BROKEN : PB_VQ_POP_EMPTY;
	/* The slots this chain may take: those the device does not hold. */
	uint16_t limit = (uint16_t)(vq->num - vq->inflight_desc);
	uint16_t pos = vq->last_avail;
	bool wrap = vq->avail_wrap;

	if (limit == 0)
		return PB_VQ_POP_EMPTY;
	/* Acquire: pairs with the driver's release store of these flags (the
	 * first of its batch) in pb_pq_drv_publish(): the descriptors of the
	 * chain, written before, are visible from here on. */
	uint16_t flags = pb_load_acquire(&vq->desc[pos].flags);
	if (!pb_packed_desc_is_avail(flags, wrap)) {
		if (vq->avail_ahead)
			return broken(vq, "available descriptor taken back", pos);
		return PB_VQ_POP_EMPTY;
	}

	struct walk w = {false, false, false};
	uint16_t ndesc = 0;
	uint16_t id;

	c->nseg = 0;
	c->nout = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (;;) {
		const struct vring_packed_desc *d = &vq->desc[pos];
		/* Each field once; flags were loaded above. */
		uint64_t addr = pb_load_once(&d->addr);
		uint32_t len = pb_load_once(&d->len);
		uint16_t did = pb_load_once(&d->id);
		int rc;

		ndesc++;
		if (++pos == vq->num) {
			pos = 0;
			wrap = !wrap;
		}
		if (flags & VRING_DESC_F_INDIRECT) {
			/* §2.8.7: negotiated, and alone: not in a NEXT chain. */
			if (!vq->indirect)
				return broken(vq, "indirect descriptor not negotiated", did);
			if (ndesc != 1 || (flags & VRING_DESC_F_NEXT))
				return broken(vq, "indirect descriptor in a chain", ndesc);
			rc = walk_indirect(vq, c, &w, addr, len);
			if (rc)
				return rc;
			id = did;
			break;
		}
		rc = add_seg(vq, c, &w, addr, len, flags & VRING_DESC_F_WRITE);
		if (rc)
			return rc;
		if (!(flags & VRING_DESC_F_NEXT)) {
			id = did; /* §2.8.6: the id is in the last descriptor */
			break;
		}
		if (ndesc == limit)
			return broken(vq, "descriptor chain longer than the ring", ndesc);
		/* Acquire, like the first: the driver wrote the rest of the
		 * chain before the first flags, but a hostile one may not have. */
		flags = pb_load_acquire(&vq->desc[pos].flags);
		if (!pb_packed_desc_is_avail(flags, wrap))
			return broken(vq, "chain continues into a slot that is not available", pos);
	}
	if (id >= vq->num)
		return broken(vq, "buffer id out of range", id);
	if (vq->inflight[id])
		return broken(vq, "buffer id already in flight", id);
	vq->inflight[id] = ndesc;
	vq->inflight_desc = (uint16_t)(vq->inflight_desc + ndesc);
	vq->last_avail = pos;
	vq->avail_wrap = wrap;
	vq->avail_ahead = vq->avail_ahead > ndesc ? (uint16_t)(vq->avail_ahead - ndesc) : 0;
	c->head = id;
	return w.too_long ? PB_VQ_POP_TOO_LONG : PB_VQ_POP_OK;
}

void pb_pq_dev_unpop(struct pb_pq_dev *vq, uint16_t id)
{
	if (!vq->desc || id >= vq->num || vq->inflight[id] == 0)
		return;
	uint16_t n = vq->inflight[id];

	vq->inflight[id] = 0;
	vq->inflight_desc = (uint16_t)(vq->inflight_desc - n);
	if (vq->last_avail >= n) {
		vq->last_avail = (uint16_t)(vq->last_avail - n);
	} else {
		vq->last_avail = (uint16_t)(vq->last_avail + vq->num - n);
		vq->avail_wrap = !vq->avail_wrap;
	}
	/* Those slots were available and we never wrote them. */
	vq->avail_ahead = (uint16_t)(vq->avail_ahead + n);
}

bool pb_pq_dev_flush(struct pb_pq_dev *vq)
{
	if (!vq->pending)
		return false;
	/* Release: the ids and lengths of the batch, the flags of its other
	 * used descriptors and the bytes we wrote into the driver's buffers
	 * are visible before the first used descriptor's flags. Pairs with the
	 * driver's acquire load of those flags (pb_pq_drv_used()/take()).
	 * Bytes written with streaming stores are ordered only by the
	 * caller's sfence (port/tx_copy.h). */
	pb_store_release(&vq->desc[vq->first_pos].flags, vq->first_flags);
	vq->pending = 0;

	uint32_t old = pb_packed_seq(vq->used_pub, vq->used_pub_wrap, vq->num);
	uint32_t now = pb_packed_seq(vq->used_idx, vq->used_wrap, vq->num);
	vq->used_pub = vq->used_idx;
	vq->used_pub_wrap = vq->used_wrap;
	if (vq->callfd < 0)
		return false;
	/* Store-load fence: the flags store above must be globally visible
	 * before we read the driver's event word, or we could miss a driver
	 * that just asked for a call and then re-checked its next slot (it
	 * runs the mirror fence in pb_pq_drv_set_notify()). */
	pb_smp_mb();
	bool need =
	    pb_packed_need_event(pb_load_once(vq->driver_event), vq->event_idx, old, now, vq->num);
	if (need) {
		pb_eventfd_signal(vq->callfd);
		vq->calls++;
	}
	return need;
}

bool pb_pq_dev_set_notify(struct pb_pq_dev *vq, bool on)
{
	uint32_t word;

	vq->notify_on = on;
	if (!on)
		word = pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE);
	else if (vq->event_idx)
		/* Kick me when the driver makes our next slot available. */
		word = pb_packed_event_word(pb_pq_dev_last_avail(vq), VRING_PACKED_EVENT_F_DESC);
	else
		word = pb_packed_event_word(0, VRING_PACKED_EVENT_F_ENABLE);
	/* One 32-bit store: the driver never sees DESC with a stale offset. */
	pb_store_once(vq->device_event, word);
	if (!on)
		return false;
	/* Store-load fence: publish the request before re-reading our next
	 * slot, pairing with the driver's fence between its flags store and
	 * its read of our event word in pb_pq_drv_publish(). Either it sees
	 * our request and kicks, or we see its descriptor here. */
	pb_smp_mb();
	if (vq->inflight_desc == vq->num)
		return false; /* every slot is ours: nothing can be available */
	return pb_packed_desc_is_avail(pb_load_acquire(&vq->desc[vq->last_avail].flags),
				       vq->avail_wrap);
}
