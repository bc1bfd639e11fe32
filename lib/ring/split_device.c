/* SPDX-License-Identifier: MIT */
/*
 * split_device.c - device side of the split virtqueue: attach to the peer's
 * ring, walk descriptor chains, publish used elements, notify.
 *
 * Security model (see split_device.h): the driver is untrusted and writes
 * the ring concurrently. Each descriptor is copied to a local once and only
 * the copy is used; every index is range-checked; a chain is bounded by the
 * size of the table it lives in, so a loop ends as an error, not a hang;
 * every buffer is translated with its full length. Violations set `broken`.
 */
#include <errno.h>
#include <string.h>

#include "ring/split_device.h"
#include "util/log.h"
#include "util/sock.h"

int pb_vq_dev_attach(struct pb_vq_dev *vq, const struct pb_guest_mem *mem, uint16_t num,
		     uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva, uint16_t base,
		     bool event_idx, bool indirect)
{
	int callfd = vq->callfd;

	if (!pb_is_pow2(num) || num > PB_VRING_MAX_SIZE)
		return -EINVAL;
	/* §2.7: alignment 16 (desc), 2 (avail), 4 (used). */
	if ((desc_uva & 15) || (avail_uva & 1) || (used_uva & 3))
		return -EINVAL;
	struct vring_desc *desc = pb_guest_mem_uva_to_host(mem, desc_uva, pb_vring_desc_size(num));
	struct vring_avail *avail =
	    pb_guest_mem_uva_to_host(mem, avail_uva, pb_vring_avail_size(num));
	struct vring_used *used = pb_guest_mem_uva_to_host(mem, used_uva, pb_vring_used_size(num));
	if (!desc || !avail || !used)
		return -EFAULT;
	/* A region whose user address is not congruent with its file offset
	 * turns aligned ring addresses into misaligned host pointers, and the
	 * index atomics below need natural alignment. */
	if (((uintptr_t)desc & 15) || ((uintptr_t)avail & 1) || ((uintptr_t)used & 3))
		return -EINVAL;

	memset(vq, 0, sizeof(*vq));
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->used_event = pb_vring_used_event(avail, num);
	vq->avail_event = pb_vring_avail_event(used, num);
	vq->mem = mem;
	vq->num = num;
	vq->mask = (uint16_t)(num - 1);
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	vq->callfd = callfd;
	vq->last_avail = base;
	vq->avail_cache = base;
	/* The used index continues where the previous owner of the ring left
	 * it: with all in-flight buffers returned, that equals the avail index
	 * it stopped at (SET_VRING_BASE). */
	vq->used_idx = base;
	vq->used_pub = base;
	/* §2.7.10: under EVENT_IDX the device keeps used->flags 0; a ring
	 * reused from a run without it may still hold NO_NOTIFY. */
	if (event_idx)
		pb_store_once(&used->flags, 0);
	pb_vq_dev_set_notify(vq, false);
	return 0;
}

void pb_vq_dev_detach(struct pb_vq_dev *vq)
{
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->used_event = NULL;
	vq->avail_event = NULL;
	vq->broken = false;
}

void pb_vq_dev_break(struct pb_vq_dev *vq, const char *why, unsigned value)
{
	if (!vq->broken)
		pb_warn("virtqueue: peer broke the ring: %s (%u); queue stopped", why, value);
	vq->broken = true;
}

static int broken(struct pb_vq_dev *vq, const char *why, unsigned value)
{
	pb_vq_dev_break(vq, why, value);
	return PB_VQ_POP_BROKEN;
}

static inline uint32_t sat_add(uint32_t a, uint32_t b)
{
	uint32_t r;

	return __builtin_add_overflow(a, b, &r) ? UINT32_MAX : r;
}

int pb_vq_dev_walk(struct pb_vq_dev *vq, struct pb_vq_chain *c, uint16_t head,
		   struct vring_desc first)
{
	c->head = head;
	c->nseg = 0;
	c->nout = 0;
	c->out_len = 0;
	c->in_len = 0;

	const struct vring_desc *table = vq->desc;
	uint32_t table_len = vq->num;
	uint32_t budget = vq->num; /* descriptors left before this must be a loop */
	bool in_indirect = false;
	bool too_long = false;
	uint16_t i = head;
	struct vring_desc d = first; /* desc[head], read once by the caller */

	for (;;) {
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* §2.7.5.3: no nesting, not with NEXT, whole descriptors. */
			if (!vq->indirect || in_indirect)
				return broken(vq, "unexpected indirect descriptor", i);
			if (d.flags & VRING_DESC_F_NEXT)
				return broken(vq, "indirect descriptor with NEXT", i);
			if (d.len == 0 || d.len % sizeof(struct vring_desc) ||
			    d.len / sizeof(struct vring_desc) > PB_VRING_MAX_SIZE)
				return broken(vq, "bad indirect table length", d.len);
			table = pb_guest_mem_gpa_to_host(vq->mem, d.addr, d.len, &vq->mem_hint);
			if (!table)
				return broken(vq, "indirect table outside guest memory", i);
			table_len = d.len / sizeof(struct vring_desc);
			budget = table_len;
			in_indirect = true;
			i = 0;
			d = pb_vq_read_desc(&table[0]);
			continue;
		}
		if (budget-- == 0)
			return broken(vq, "descriptor chain loops", head);

		if (d.len) {
			uint8_t *p =
			    pb_guest_mem_gpa_to_host(vq->mem, d.addr, d.len, &vq->mem_hint);
			if (!p)
				return broken(vq, "buffer outside guest memory", d.len);
			bool writable = d.flags & VRING_DESC_F_WRITE;
			/* §2.7.4.2: readable descriptors precede writable ones. */
			if (!writable && c->nseg != c->nout)
				return broken(vq, "readable after writable descriptor", i);
			if (c->nseg == PB_VQ_MAX_SEGS) {
				too_long = true;
				break;
			}
			if (writable) {
				c->in_len = sat_add(c->in_len, d.len);
			} else {
				c->out_len = sat_add(c->out_len, d.len);
				c->nout++;
			}
			c->seg[c->nseg].base = p;
			c->seg[c->nseg].len = d.len;
			c->nseg++;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= table_len)
			return broken(vq, "next index out of range", i);
		d = pb_vq_read_desc(&table[i]);
	}
	return too_long ? PB_VQ_POP_TOO_LONG : PB_VQ_POP_OK;
}

bool pb_vq_dev_flush(struct pb_vq_dev *vq)
{
	uint16_t old = vq->used_pub;
	bool need;

	if (vq->used_idx == old)
		return false;
	/* Release: the used elements and the bytes we wrote into the driver's
	 * buffers become visible before the new index. Pairs with the
	 * driver's acquire load of used->idx. Bytes written with streaming
	 * stores are ordered only by the caller's sfence (port/tx_copy.h). */
	pb_store_release(&vq->used->idx, vq->used_idx);
	vq->used_pub = vq->used_idx;
	if (vq->callfd < 0)
		return false;
	/* Store-load fence: our used->idx store must be globally visible
	 * before we read the driver's used_event / flags, or we could miss a
	 * driver that just asked for a call and then re-checked used->idx
	 * (it runs the mirror fence in pb_vq_drv_set_notify()). */
	pb_smp_mb();
	if (vq->event_idx)
		need = pb_vring_need_event(pb_load_once(vq->used_event), vq->used_idx, old);
	else
		need = !(pb_load_once(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	if (need) {
		pb_eventfd_signal(vq->callfd);
		vq->calls++;
	}
	return need;
}

bool pb_vq_dev_set_notify(struct pb_vq_dev *vq, bool on)
{
	vq->notify_on = on;
	if (vq->event_idx) {
		/* Kick me when avail->idx moves past last_avail; or, when
		 * off, at an index the driver will not cross for 64K entries. */
		pb_store_once(vq->avail_event,
			      (uint16_t)(on ? vq->last_avail : vq->last_avail - 1));
	} else {
		pb_store_once(&vq->used->flags, (uint16_t)(on ? 0 : VRING_USED_F_NO_NOTIFY));
	}
	if (!on)
		return false;
	/* Store-load fence: publish the request before re-reading avail->idx,
	 * pairing with the driver's fence between its avail->idx store and its
	 * read of avail_event in pb_vq_drv_publish(). Either it sees our
	 * request and kicks, or we see its entries here. */
	pb_smp_mb();
	return pb_load_acquire(&vq->avail->idx) != vq->last_avail;
}
