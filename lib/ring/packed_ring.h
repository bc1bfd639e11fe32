/* SPDX-License-Identifier: MIT */
/*
 * packed_ring.h - the packed virtqueue as it lies in shared memory (virtio
 * 1.1+ §2.8), and the wrap-counter arithmetic its two sides share.
 *
 * One ring of num 16-byte descriptors, read and written by both sides, plus
 * two 4-byte event suppression areas: the driver's (the "driver area",
 * written by the driver, says when the device should call it) and the
 * device's (the "device area", written by the device, says when the driver
 * should kick it). vhost-user's SET_VRING_ADDR carries them as
 * desc_user_addr, avail_user_addr (driver area) and used_user_addr (device
 * area).
 *
 * Each side keeps a position in the ring and a one-bit wrap counter that
 * starts at 1 and flips each time the position wraps to 0. A descriptor is
 * available when its AVAIL flag equals the driver's wrap counter and its
 * USED flag does not; it is used when both flags equal the device's wrap
 * counter. A (position, wrap) pair is written as position | wrap << 15: in
 * event suppression areas and in the vhost-user vring base.
 *
 * Little-endian hosts only (virtio_ring.h checks): fields are native integers.
 */
#ifndef PB_PACKED_RING_H
#define PB_PACKED_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "ring/virtio_ring.h"

/* Descriptor flags besides NEXT, WRITE and INDIRECT (virtio_ring.h). */
#define VRING_PACKED_DESC_F_AVAIL (1u << 7)
#define VRING_PACKED_DESC_F_USED  (1u << 15)

struct vring_packed_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t id;
	uint16_t flags;
};
_Static_assert(sizeof(struct vring_packed_desc) == 16, "virtio packed descriptor is 16 bytes");

/*
 * Event suppression (§2.8.10): le16 off_wrap, then le16 flags. Both sides
 * read and write it as one aligned 32-bit word (the spec aligns the area to
 * 4), so off_wrap and flags are always seen together: off_wrap in bits
 * 0-15, flags in bits 16-17.
 */
#define VRING_PACKED_EVENT_F_ENABLE  0u /* notify on every publish */
#define VRING_PACKED_EVENT_F_DISABLE 1u /* never notify */
#define VRING_PACKED_EVENT_F_DESC    2u /* notify when off_wrap is crossed (EVENT_IDX only) */
#define PB_PACKED_EVENT_SIZE	     4u
#define PB_PACKED_WRAP_SHIFT	     15

static inline uint32_t pb_packed_event_word(uint16_t off_wrap, uint32_t flags)
{
	return off_wrap | flags << 16;
}

/* position | wrap << 15: the encoding of event areas and the vring base. */
static inline uint16_t pb_packed_off_wrap(uint16_t pos, bool wrap)
{
	return (uint16_t)(pos | (unsigned)wrap << PB_PACKED_WRAP_SHIFT);
}

static inline bool pb_packed_desc_is_avail(uint16_t flags, bool wrap)
{
	return !!(flags & VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(flags & VRING_PACKED_DESC_F_USED) != wrap;
}

static inline bool pb_packed_desc_is_used(uint16_t flags, bool wrap)
{
	return !!(flags & VRING_PACKED_DESC_F_AVAIL) == wrap &&
	       !!(flags & VRING_PACKED_DESC_F_USED) == wrap;
}

/*
 * A (position, wrap) pair as a count modulo 2 * num: position 0 with wrap 1
 * (the start) is 0, position 0 with wrap 0 (one lap on) is num. Distances
 * between two of them are descriptor counts, whatever the ring size (which,
 * unlike a split ring's, need not be a power of two).
 */
static inline uint32_t pb_packed_seq(uint16_t pos, bool wrap, uint16_t num)
{
	return (uint32_t)pos + (wrap ? 0u : num);
}

/*
 * Whether the side that just published the descriptors [old_seq, new_seq)
 * must notify its peer, given the peer's event suppression word @word.
 * DISABLE: no. ENABLE: yes. DESC (only with EVENT_IDX): yes iff the
 * descriptor the peer named lies in the window just published. DESC
 * without EVENT_IDX and the reserved value 3 count as ENABLE: a spurious
 * notification costs a wake-up, a missed one a stall. The word comes from
 * the peer: any value is safe here (an out-of-range offset only yields some
 * answer).
 */
static inline bool pb_packed_need_event(uint32_t word, bool event_idx, uint32_t old_seq,
					uint32_t new_seq, uint16_t num)
{
	uint32_t flags = (word >> 16) & 3u;

	if (flags == VRING_PACKED_EVENT_F_DISABLE)
		return false;
	if (flags != VRING_PACKED_EVENT_F_DESC || !event_idx)
		return true;
	uint32_t span = 2u * num;
	uint32_t off = word & 0x7fffu;
	uint32_t ev = (off + (((word >> PB_PACKED_WRAP_SHIFT) & 1u) ? 0u : num)) % span;

	/* ev in [old, new), modulo 2 * num. */
	return (new_seq + span - ev - 1) % span < (new_seq + span - old_seq) % span;
}

#endif /* PB_PACKED_RING_H */
