/* SPDX-License-Identifier: MIT */
/*
 * frame.c - the cold half of frame.h: the payload pattern, the sender's
 * prebuilt frames and the receiver's checksum tables.
 */
#include <errno.h>
#include <stdlib.h>

#include "frame.h"

uint8_t pbgen_pattern[PBGEN_PATTERN_LEN];

static const uint8_t dst_mac[6] = {0x02, 0x70, 0x62, 0x00, 0x00, 0x02};
static const uint8_t src_mac[6] = {0x02, 0x70, 0x62, 0x00, 0x00, 0x01};

/*
 * Fill the pattern from a fixed-seed xorshift32, so that every pbgen (any
 * version that keeps this seed) agrees on it: the pattern is part of the
 * wire format. Pseudo-random bytes rather than a counter so that a frame
 * shifted by a few bytes, or another variant's payload, does not match.
 */
void pbgen_pattern_init(void)
{
	uint32_t x = 0x9e3779b9u;

	for (size_t i = 0; i < sizeof(pbgen_pattern); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pbgen_pattern[i] = (uint8_t)(x >> 24);
	}
}

/* 32-bit FNV-1a: simple and good enough to tell a third party the payload is intact. */
uint32_t pbgen_fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 0x811c9dc5u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x01000193u;
	}
	return h;
}

/*
 * Build the PBGEN_VARIANTS frames of @size bytes once; per frame the sender
 * then patches only the sequence number and timestamp (pbgen_tx_frame()).
 * Returns 0 or -ENOMEM.
 */
int pbgen_tx_init(struct pbgen_tx *t, uint32_t size, uint32_t stream, uint16_t flags)
{
	uint32_t plen = size - PBGEN_PAYLOAD_OFF;

	t->size = size;
	t->stride = (size + 63) & ~63u;
	t->tmpl = aligned_alloc(64, (size_t)t->stride * PBGEN_VARIANTS);
	if (!t->tmpl)
		return -ENOMEM;

	for (unsigned v = 0; v < PBGEN_VARIANTS; v++) {
		uint8_t *p = t->tmpl + (size_t)v * t->stride;
		const uint8_t *payload = pbgen_pattern + v * PBGEN_VAR_STRIDE;
		struct pbgen_hdr h = {
		    .magic = htole32(PBGEN_MAGIC),
		    .stream = htole32(stream),
		    .seq = htole64(v),
		    .csum = htole32(pbgen_fnv1a(payload, plen)),
		    .len = htole16((uint16_t)size),
		    .flags = htole16(flags),
		};

		memcpy(p, dst_mac, 6);
		memcpy(p + 6, src_mac, 6);
		p[12] = PBGEN_ETHERTYPE >> 8;
		p[13] = PBGEN_ETHERTYPE & 0xff;
		memcpy(p + PBGEN_HDR_OFF, &h, sizeof(h));
		memcpy(p + PBGEN_PAYLOAD_OFF, payload, plen);
	}
	return 0;
}

void pbgen_tx_free(struct pbgen_tx *t)
{
	free(t->tmpl);
	t->tmpl = NULL;
}

void pbgen_check_init(struct pbgen_check *c, bool verify, bool any_stream, uint32_t stream)
{
	memset(c, 0, sizeof(*c));
	c->verify = verify;
	c->any_stream = any_stream;
	c->stream = stream;
}

/*
 * The checksum each variant's payload has at @payload_len bytes. Costs
 * 256 * payload_len byte steps, so it runs when the received size changes,
 * not per frame.
 */
void pbgen_check_csums(struct pbgen_check *c, uint32_t payload_len)
{
	for (unsigned v = 0; v < PBGEN_VARIANTS; v++)
		c->csum[v] = pbgen_fnv1a(pbgen_pattern + v * PBGEN_VAR_STRIDE, payload_len);
	c->csum_len = payload_len;
}
