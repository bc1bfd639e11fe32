/* SPDX-License-Identifier: MIT */
/*
 * virtio_ring.h - the split virtqueue as it lies in shared memory (virtio 1.x
 * §2.7), the feature bits patchbay knows, and the event-index arithmetic.
 *
 * All fields are little-endian on the wire; patchbay runs on little-endian
 * hosts only (checked below), so they are used as native integers.
 */
#ifndef PB_VIRTIO_RING_H
#define PB_VIRTIO_RING_H

#include <stdbool.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "patchbay supports little-endian hosts only (virtio 1.x rings are little-endian)"
#endif

/* Device-independent feature bits (virtio 1.x §6). */
#define VIRTIO_RING_F_INDIRECT_DESC 28
#define VIRTIO_RING_F_EVENT_IDX	    29
#define VIRTIO_F_VERSION_1	    32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED	    34
#define VIRTIO_F_IN_ORDER	    35

/* The vhost-user reuse of legacy bit 30 (vhost-user.rst). */
#define VHOST_USER_F_PROTOCOL_FEATURES 30

#define PB_BIT(n) (1ULL << (n))

/* Descriptor flags. */
#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4

/* Driver -> device: "don't interrupt me" (ignored under EVENT_IDX). */
#define VRING_AVAIL_F_NO_INTERRUPT 1
/* Device -> driver: "don't kick me" (ignored under EVENT_IDX). */
#define VRING_USED_F_NO_NOTIFY 1

#define PB_VRING_MAX_SIZE 32768
/* Ring areas are aligned for the device's sake (§2.7: desc 16, avail 2, used 4);
 * we place each on its own page so the two processes never share a cache line
 * between a driver-written and a device-written area. */
#define PB_VRING_ALIGN 4096

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
_Static_assert(sizeof(struct vring_desc) == 16, "virtio split descriptor is 16 bytes");

/* Followed in memory by uint16_t used_event when EVENT_IDX is negotiated. */
struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};
_Static_assert(sizeof(struct vring_avail) == 4, "avail header is 4 bytes");

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};
_Static_assert(sizeof(struct vring_used_elem) == 8, "used element is 8 bytes");

/* Followed in memory by uint16_t avail_event when EVENT_IDX is negotiated. */
struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};
_Static_assert(sizeof(struct vring_used) == 4, "used header is 4 bytes");

static inline uint64_t pb_vring_desc_size(uint32_t num)
{
	return 16ULL * num;
}

/* flags + idx + ring[num] + used_event */
static inline uint64_t pb_vring_avail_size(uint32_t num)
{
	return 4 + 2ULL * num + 2;
}

/* flags + idx + ring[num] + avail_event */
static inline uint64_t pb_vring_used_size(uint32_t num)
{
	return 4 + 8ULL * num + 2;
}

/* The driver's used_event lives after avail->ring[num]. */
static inline uint16_t *pb_vring_used_event(struct vring_avail *avail, uint16_t num)
{
	return &avail->ring[num];
}

/* The device's avail_event lives after used->ring[num]. */
static inline uint16_t *pb_vring_avail_event(struct vring_used *used, uint16_t num)
{
	return (uint16_t *)&used->ring[num];
}

/*
 * §2.7.10: notify iff event_idx lies in the window (old, new_idx] just
 * published. All arithmetic is mod 2^16.
 */
static inline bool pb_vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

static inline bool pb_is_pow2(uint32_t n)
{
	return n && !(n & (n - 1));
}

#endif /* PB_VIRTIO_RING_H */
