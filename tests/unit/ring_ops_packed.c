/* SPDX-License-Identifier: MIT */
/*
 * ring_ops_packed.c - the ops of ring_rig.h for a packed ring: each call
 * goes to pb_pq_*, the notification words are packed event words, and the
 * hand-written driver keeps its own slot and wrap counter.
 */
#include "ring_rig.h"

#include <string.h>

static size_t packed_ring_size(uint16_t num)
{
	return pb_pq_drv_ring_size(num);
}

static int packed_drv_init(struct rig *r, uint32_t stride, bool rx)
{
	int rc = pb_pq_drv_init(&r->pq.drv, r->map, r->bufs, r->num, stride, rx, r->event_idx);

	r->pq.dev.callfd = -1; /* until rig_eventfds() */

	r->buf_size = r->pq.drv.buf_size;
	return rc;
}

static void packed_drv_fini(struct rig *r)
{
	pb_pq_dev_detach(&r->pq.dev); /* frees its in-flight table */
	pb_pq_drv_fini(&r->pq.drv);
}

static uint8_t *packed_drv_buf(struct rig *r, uint16_t id)
{
	return pb_pq_drv_buf(&r->pq.drv, id);
}

static void packed_drv_post(struct rig *r, uint16_t id, uint32_t len)
{
	pb_pq_drv_post(&r->pq.drv, id, len);
}

static bool packed_drv_publish(struct rig *r)
{
	return pb_pq_drv_publish(&r->pq.drv);
}

static uint16_t packed_drv_used(struct rig *r)
{
	return pb_pq_drv_used(&r->pq.drv);
}

static bool packed_drv_take(struct rig *r, uint16_t *id, uint32_t *len)
{
	return pb_pq_drv_take(&r->pq.drv, id, len);
}

static bool packed_drv_set_notify(struct rig *r, bool on)
{
	return pb_pq_drv_set_notify(&r->pq.drv, on);
}

static bool packed_drv_broken(const struct rig *r)
{
	return r->pq.drv.broken;
}

static uint64_t packed_drv_kicks(const struct rig *r)
{
	return r->pq.drv.kicks;
}

/* A slot and its wrap counter as a count from the start (first two laps). */
static uint32_t packed_lap_pos(const struct rig *r, uint16_t slot, bool wrap)
{
	return slot + (wrap ? 0u : r->num);
}

static uint32_t packed_drv_used_pos(const struct rig *r)
{
	return packed_lap_pos(r, r->pq.drv.last_used, r->pq.drv.used_wrap);
}

static int packed_dev_attach(struct rig *r, const struct pb_guest_mem *mem)
{
	struct pb_pq_drv *v = &r->pq.drv;

	return pb_pq_dev_attach(&r->pq.dev, mem, r->num, G(pb_pq_drv_desc_area(v)),
				G(pb_pq_drv_driver_area(v)), G(pb_pq_drv_device_area(v)),
				pb_pq_drv_base(v), r->event_idx, r->indirect);
}

static void packed_dev_detach(struct rig *r)
{
	pb_pq_dev_detach(&r->pq.dev);
}

static bool packed_dev_attached(const struct rig *r)
{
	return pb_pq_dev_attached(&r->pq.dev);
}

static uint16_t packed_dev_avail(struct rig *r)
{
	return pb_pq_dev_avail(&r->pq.dev);
}

static int packed_dev_pop(struct rig *r, struct pb_vq_chain *c)
{
	return pb_pq_dev_pop(&r->pq.dev, c);
}

static void packed_dev_push(struct rig *r, uint16_t id, uint32_t len)
{
	pb_pq_dev_push(&r->pq.dev, id, len);
}

static bool packed_dev_flush(struct rig *r)
{
	return pb_pq_dev_flush(&r->pq.dev);
}

static bool packed_dev_set_notify(struct rig *r, bool on)
{
	return pb_pq_dev_set_notify(&r->pq.dev, on);
}

static bool packed_dev_broken(const struct rig *r)
{
	return r->pq.dev.broken;
}

static uint64_t packed_dev_calls(const struct rig *r)
{
	return r->pq.dev.calls;
}

static uint32_t packed_dev_used_pos(const struct rig *r)
{
	return packed_lap_pos(r, r->pq.dev.used_idx, r->pq.dev.used_wrap);
}

/* The event word naming position @pos counted from the start. */
static uint32_t packed_desc_word(const struct rig *r, uint32_t pos)
{
	uint16_t slot = (uint16_t)(pos % r->num);
	bool wrap = (pos / r->num) % 2 == 0; /* a fresh ring starts at wrap 1 */

	return pb_packed_event_word(pb_packed_off_wrap(slot, wrap), VRING_PACKED_EVENT_F_DESC);
}

static uint32_t packed_event_word(const struct rig *r, long want)
{
	if (want == RIG_EV_OFF)
		return pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE);
	if (want == RIG_EV_ON)
		return pb_packed_event_word(0, VRING_PACKED_EVENT_F_ENABLE);
	return packed_desc_word(r, (uint32_t)want);
}

static void packed_expect_kick_event(struct rig *r, long want)
{
	assert_int_equal(*r->pq.drv.device_event, packed_event_word(r, want));
}

static void packed_expect_call_event(struct rig *r, long want)
{
	assert_int_equal(*r->pq.drv.driver_event, packed_event_word(r, want));
}

static void packed_set_kick_event(struct rig *r, uint32_t pos)
{
	pb_store_once(r->pq.drv.device_event, packed_desc_word(r, pos));
}

static void packed_set_call_event(struct rig *r, uint32_t pos)
{
	pb_store_once(r->pq.drv.driver_event, packed_desc_word(r, pos));
}

/* Available under wrap counter @wrap: AVAIL = wrap, USED = !wrap. */
static uint16_t packed_avail_bits(bool wrap)
{
	return wrap ? VRING_PACKED_DESC_F_AVAIL : VRING_PACKED_DESC_F_USED;
}

static void packed_offer(struct rig *r, uint16_t id, const struct rig_desc *d, unsigned n)
{
	uint16_t first = r->hand_slot;
	uint16_t first_flags = 0;

	for (unsigned k = 0; k < n; k++) {
		struct vring_packed_desc *s = &r->pq.drv.desc[r->hand_slot];
		uint16_t flags = (uint16_t)(d[k].flags | (k + 1 < n ? VRING_DESC_F_NEXT : 0) |
					    packed_avail_bits(r->hand_wrap));
		s->addr = d[k].addr;
		s->len = d[k].len;
		s->id = id;
		if (k == 0)
			first_flags = flags;
		else
			__atomic_store_n(&s->flags, flags, __ATOMIC_RELEASE);
		if (++r->hand_slot == r->num) {
			r->hand_slot = 0;
			r->hand_wrap = !r->hand_wrap;
		}
	}
	/* The first flags last: they make the whole chain available at once,
	 * pairing with the device's acquire load of them. */
	__atomic_store_n(&r->pq.drv.desc[first].flags, first_flags, __ATOMIC_RELEASE);
}

static uint32_t packed_table(void *at, const struct rig_desc *d, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct vring_packed_desc e = {
		    .addr = d[k].addr, .len = d[k].len, .id = 0xbeef, .flags = d[k].flags};
		memcpy((uint8_t *)at + k * sizeof(e), &e, sizeof(e));
	}
	return (uint32_t)(n * sizeof(struct vring_packed_desc));
}

static void packed_put_used(struct rig *r, uint16_t nth, uint16_t id, uint32_t len)
{
	struct vring_packed_desc *s = &r->pq.drv.desc[nth % r->num];
	bool wrap = (nth / r->num) % 2 == 0;
	uint16_t flags =
	    (uint16_t)((len ? VRING_DESC_F_WRITE : 0) |
		       (wrap ? VRING_PACKED_DESC_F_AVAIL | VRING_PACKED_DESC_F_USED : 0));

	s->id = id;
	s->len = len;
	/* Pairs with the driver's acquire load of the flags. */
	__atomic_store_n(&s->flags, flags, __ATOMIC_RELEASE);
}

const struct ring_ops ring_packed = {
    .name = "packed",
    .kind = RING_PACKED,
    .ring_size = packed_ring_size,
    .drv_init = packed_drv_init,
    .drv_fini = packed_drv_fini,
    .drv_buf = packed_drv_buf,
    .drv_post = packed_drv_post,
    .drv_publish = packed_drv_publish,
    .drv_used = packed_drv_used,
    .drv_take = packed_drv_take,
    .drv_set_notify = packed_drv_set_notify,
    .drv_broken = packed_drv_broken,
    .drv_kicks = packed_drv_kicks,
    .drv_used_pos = packed_drv_used_pos,
    .dev_attach = packed_dev_attach,
    .dev_detach = packed_dev_detach,
    .dev_attached = packed_dev_attached,
    .dev_avail = packed_dev_avail,
    .dev_pop = packed_dev_pop,
    .dev_push = packed_dev_push,
    .dev_flush = packed_dev_flush,
    .dev_set_notify = packed_dev_set_notify,
    .dev_broken = packed_dev_broken,
    .dev_calls = packed_dev_calls,
    .dev_used_pos = packed_dev_used_pos,
    .expect_kick_event = packed_expect_kick_event,
    .expect_call_event = packed_expect_call_event,
    .set_kick_event = packed_set_kick_event,
    .set_call_event = packed_set_call_event,
    .offer = packed_offer,
    .table = packed_table,
    .put_used = packed_put_used,
};
