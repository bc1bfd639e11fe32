/* SPDX-License-Identifier: MIT */
/*
 * virtio_net.h - the virtio-net device (virtio 1.x §5.1): feature bits, the
 * header in front of every frame, the config space.
 */
#ifndef PB_VIRTIO_NET_H
#define PB_VIRTIO_NET_H

#include <stdint.h>

#include "ring/virtio_ring.h"

#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU	3
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_F_CTRL_VQ	17
#define VIRTIO_NET_F_MQ		22

#define VIRTIO_NET_S_LINK_UP  1
#define VIRTIO_NET_S_ANNOUNCE 2

/* Queue indices of queue pair 0, as the driver names them. */
#define PB_VNET_RXQ 0
#define PB_VNET_TXQ 1

/*
 * With VIRTIO_F_VERSION_1 the header is always 12 bytes (num_buffers is
 * present whether or not MRG_RXBUF is negotiated, §5.1.6).
 */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_hdr_v1) == 12, "virtio-net v1 header is 12 bytes");

#define PB_VNET_HDR_LEN 12u

struct virtio_net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_config) == 12, "virtio-net config prefix is 12 bytes");

/* Ethernet header + optional VLAN tag on top of the MTU. */
#define PB_ETH_OVERHEAD (14 + 4)
#define PB_MTU_DEFAULT	1500
#define PB_MTU_MIN	68
#define PB_MTU_MAX	9000

/* Feature bits patchbay implements in either role. */
#define PB_VNET_FEATURES                                                                           \
	(PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_NET_F_MRG_RXBUF) |                             \
	 PB_BIT(VIRTIO_RING_F_EVENT_IDX) | PB_BIT(VIRTIO_RING_F_INDIRECT_DESC) |                   \
	 PB_BIT(VIRTIO_NET_F_MAC) | PB_BIT(VIRTIO_NET_F_STATUS) | PB_BIT(VIRTIO_NET_F_MTU))

#endif /* PB_VIRTIO_NET_H */
