/* SPDX-License-Identifier: MIT */
/*
 * split_driver.c - driver side of the split virtqueue: lay out the ring in
 * our own shared memory, publish buffers, kick the device.
 *
 * Security model: see split_driver.h. Only the used ring (and avail_event)
 * come from the device; pb_vq_drv_used()/pb_vq_drv_take() validate them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ring/split_driver.h"
#include "util/sock.h"

static size_t page_align(uint64_t n)
{
	return (size_t)PB_ALIGN_UP(n, (uint64_t)PB_VRING_ALIGN);
}

size_t pb_vq_drv_ring_size(uint16_t num)
{
	return page_align(pb_vring_desc_size(num)) + page_align(pb_vring_avail_size(num)) +
	       page_align(pb_vring_used_size(num));
}

int pb_vq_drv_init(struct pb_vq_drv *vq, void *ring_mem, uint8_t *bufs, uint16_t num,
		   uint32_t stride, bool device_writes, bool event_idx)
{
	uint8_t *p = ring_mem;

	if (num < 2 || !pb_is_pow2(num) || stride <= PB_VQ_BUF_PAD || stride % PB_CACHE_LINE)
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->desc = (struct vring_desc *)p;
	p += page_align(pb_vring_desc_size(num));
	vq->avail = (struct vring_avail *)p;
	p += page_align(pb_vring_avail_size(num));
	vq->used = (struct vring_used *)p;
	vq->used_event = pb_vring_used_event(vq->avail, num);
	vq->avail_event = pb_vring_avail_event(vq->used, num);
	vq->bufs = bufs;
	vq->stride = stride;
	vq->buf_size = stride - PB_VQ_BUF_PAD;
	vq->num = num;
	vq->mask = (uint16_t)(num - 1);
	vq->device_writes = device_writes;
	vq->kickfd = -1;
	int err = pb_id_fifo_init(&vq->free, num);
	vq->posted = calloc(num, sizeof(*vq->posted));
	if (err || !vq->posted) {
		pb_vq_drv_fini(vq);
		return -ENOMEM;
	}
	pb_vq_drv_reset(vq, event_idx);
	return 0;
}

void pb_vq_drv_reset(struct pb_vq_drv *vq, bool event_idx)
{
	uint16_t num = vq->num;

	memset(vq->avail, 0, pb_vring_avail_size(num));
	memset(vq->used, 0, pb_vring_used_size(num));
	memset(vq->posted, 0, num);
	for (uint16_t i = 0; i < num; i++) {
		vq->desc[i].addr = (uint64_t)(uintptr_t)pb_vq_drv_buf(vq, i);
		vq->desc[i].len = vq->buf_size;
		vq->desc[i].flags = vq->device_writes ? VRING_DESC_F_WRITE : 0;
		vq->desc[i].next = 0;
	}
	vq->event_idx = event_idx;
	vq->avail_idx = 0;
	vq->kicked_idx = 0;
	vq->last_used = 0;
	vq->broken = false;
	pb_id_fifo_clear(&vq->free);
	if (vq->device_writes) {
		/* RX: every buffer is the device's from the start. No device
		 * looks at the ring yet, so a plain store is enough; the ring is
		 * handed over by a later socket message. */
		for (uint16_t i = 0; i < num; i++)
			pb_vq_drv_post(vq, i, vq->buf_size);
		vq->avail->idx = vq->avail_idx;
		vq->kicked_idx = vq->avail_idx;
	} else {
		/* TX headers stay zero (no offloads are negotiated), so they
		 * are written here once, not per frame. */
		for (uint16_t i = 0; i < num; i++) {
			memset(pb_vq_drv_buf(vq, i), 0, 12);
			pb_id_fifo_put(&vq->free, i);
		}
	}
	pb_vq_drv_set_notify(vq, false);
}

void pb_vq_drv_fini(struct pb_vq_drv *vq)
{
	pb_id_fifo_fini(&vq->free);
	free(vq->posted);
	vq->posted = NULL;
}

bool pb_vq_drv_publish(struct pb_vq_drv *vq)
{
	uint16_t old = vq->kicked_idx;
	bool need;

	if (vq->avail_idx == old)
		return false;
	/* Release: descriptors, avail ring entries and buffer contents are
	 * visible before the index that hands them over. Pairs with the
	 * device's acquire load of avail->idx (pb_vq_dev_avail()). Bytes
	 * written with streaming stores are ordered only by the caller's
	 * sfence (port/tx_copy.h). */
	pb_store_release(&vq->avail->idx, vq->avail_idx);
	vq->kicked_idx = vq->avail_idx;
	if (vq->kickfd < 0)
		return false;
	/* Store-load fence: avail->idx must be visible before we read the
	 * device's avail_event/flags; pairs with the fence in
	 * pb_vq_dev_set_notify() so a device going to sleep cannot miss us. */
	pb_smp_mb();
	if (vq->event_idx)
		need = pb_vring_need_event(pb_load_once(vq->avail_event), vq->avail_idx, old);
	else
		need = !(pb_load_once(&vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	if (need) {
		pb_eventfd_signal(vq->kickfd);
		vq->kicks++;
	}
	return need;
}

bool pb_vq_drv_set_notify(struct pb_vq_drv *vq, bool on)
{
	if (vq->event_idx) {
		/* Call me once the device uses past last_used; or, when off, at
		 * an index it will not reach for 64K entries. */
		pb_store_once(vq->used_event, (uint16_t)(on ? vq->last_used : vq->last_used - 1));
	} else {
		pb_store_once(&vq->avail->flags, (uint16_t)(on ? 0 : VRING_AVAIL_F_NO_INTERRUPT));
	}
	if (!on)
		return false;
	/* Store-load fence: our request before re-reading used->idx; pairs
	 * with the device's fence in pb_vq_dev_flush(). */
	pb_smp_mb();
	return pb_load_acquire(&vq->used->idx) != vq->last_used;
}
