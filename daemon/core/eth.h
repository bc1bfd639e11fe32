/* SPDX-License-Identifier: MIT */
/*
 * eth.h - reading an Ethernet header (and one 802.1Q tag) out of a frame the
 * peer wrote, and writing the tag back in or out. The bridge classifies
 * every frame with pbd_eth_parse(); the frame is the peer's, so nothing is
 * read past @len and a frame too short for its own header is refused.
 * IEEE 802.1Q: TPID 0x8100, then 16 bits of PCP(3) DEI(1) VID(12). VID 0 is
 * "priority tagged" (no VLAN), 4095 is reserved: neither is a VLAN.
 */
#ifndef PBD_ETH_H
#define PBD_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PBD_ETH_HLEN	14
#define PBD_VLAN_HLEN	4
#define PBD_ETH_P_8021Q 0x8100
#define PBD_VLAN_MAX	4094 /* the highest VID a VLAN may have */

struct pbd_eth {
	const uint8_t *dst, *src; /* 6 bytes each, inside the frame */
	uint16_t vid;		  /* the tag's VID, 0 when untagged or priority-tagged */
	bool tagged;		  /* an 802.1Q tag follows the source MAC */
	uint16_t tci;		  /* the whole tag control field, when tagged */
};

/* Classify @f (@len bytes). Returns false for a frame shorter than its own
 * header (14 bytes, 18 with a tag) or with the reserved VID 4095. */
static inline bool pbd_eth_parse(const uint8_t *f, uint32_t len, struct pbd_eth *e)
{
	if (len < PBD_ETH_HLEN)
		return false;
	e->dst = f;
	e->src = f + 6;
	e->tagged = f[12] == (PBD_ETH_P_8021Q >> 8) && f[13] == (PBD_ETH_P_8021Q & 0xff);
	e->tci = 0;
	e->vid = 0;
	if (!e->tagged)
		return true;
	if (len < PBD_ETH_HLEN + PBD_VLAN_HLEN)
		return false;
	e->tci = (uint16_t)(f[14] << 8 | f[15]);
	e->vid = e->tci & 0x0fff;
	return e->vid != 0x0fff;
}

/* Group bit: broadcast and multicast destinations (and sources nobody
 * should learn). */
static inline bool pbd_eth_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

/* @f without its tag into @out (room for @len - 4 bytes); the new length. */
static inline uint32_t pbd_eth_untag(const uint8_t *f, uint32_t len, uint8_t *out)
{
	memcpy(out, f, 12);
	memcpy(out + 12, f + 16, len - 16);
	return len - PBD_VLAN_HLEN;
}

/* @f (untagged, or tagged: its tag is replaced) with a tag of @vid into
 * @out (room for @len + 4); the PCP of an existing tag is kept. */
static inline uint32_t pbd_eth_tag(const uint8_t *f, uint32_t len, bool tagged, uint16_t tci,
				   uint16_t vid, uint8_t *out)
{
	uint16_t t = (uint16_t)((tagged ? tci & 0xf000 : 0) | vid);
	uint32_t rest = tagged ? 16 : 12;

	memcpy(out, f, 12);
	out[12] = PBD_ETH_P_8021Q >> 8;
	out[13] = PBD_ETH_P_8021Q & 0xff;
	out[14] = (uint8_t)(t >> 8);
	out[15] = (uint8_t)t;
	memcpy(out + 16, f + rest, len - rest);
	return len - rest + 16;
}

#endif /* PBD_ETH_H */
