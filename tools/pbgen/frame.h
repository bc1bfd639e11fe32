/* SPDX-License-Identifier: MIT */
/*
 * frame.h - the pbgen frame: layout, building (tx) and checking (rx).
 *
 * A pbgen frame is
 *
 *   Ethernet header   dst 02:70:62:00:00:02, src 02:70:62:00:00:01 (locally
 *                     administered), ethertype 0x88b5 (IEEE local experimental)
 *   struct pbgen_hdr  32 bytes, little-endian, at offset 14
 *   payload           size - 46 bytes: payload byte o of the frame with
 *                     sequence number s is pbgen_pattern[(s % 256) * 64 + o]
 *
 * The payload depends on the sequence number only through s % 256 so that a
 * sender can prebuild 256 whole frames once and patch just the sequence number
 * and timestamp per frame (two stores): no per-frame copy, clock read or
 * allocation, which is what lets the tx path reach tens of Mpps. The receiver
 * verifies every payload byte with one memcmp() against the same pattern.
 *
 * The hot-path helpers are static inline here; frame.c builds the pattern, the
 * templates and the checksum tables (the cold part).
 */
#ifndef PBGEN_FRAME_H
#define PBGEN_FRAME_H

#include <assert.h>
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <patchbay/port.h>

#define pbgen_likely(x)	  __builtin_expect(!!(x), 1)
#define pbgen_unlikely(x) __builtin_expect(!!(x), 0)

#define PBGEN_ETH_HLEN	 14
#define PBGEN_ETHERTYPE	 0x88b5
#define PBGEN_MAGIC	 0x6e676270u /* "pbgn" in memory, little-endian */
#define PBGEN_MIN_FRAME	 60	     /* Ethernet minimum without FCS */
#define PBGEN_MAX_FRAME	 9018	     /* 9000 MTU + Ethernet + VLAN header */
#define PBGEN_VARIANTS	 256	     /* payload variants (and tx templates) */
#define PBGEN_VAR_STRIDE 64	     /* pattern offset between variants */
#define PBGEN_MAX_BURST	 PBGEN_VARIANTS

/* Flags in pbgen_hdr.flags. */
#define PBGEN_F_PING 0x0001 /* a ping: the peer is expected to echo it */

struct pbgen_hdr {
	uint32_t magic;
	uint32_t stream; /* --stream: tells concurrent senders apart */
	uint64_t seq;	 /* 0, 1, 2, ... per sender */
	uint64_t tx_ns;	 /* CLOCK_MONOTONIC when the burst was built */
	uint32_t csum;	 /* FNV-1a of the payload: checkable without the pattern */
	uint16_t len;	 /* whole frame length: detects truncation and padding */
	uint16_t flags;
} __attribute__((packed));
static_assert(sizeof(struct pbgen_hdr) == 32, "pbgen_hdr is a wire format");

#define PBGEN_HDR_OFF	  PBGEN_ETH_HLEN
#define PBGEN_PAYLOAD_OFF (PBGEN_ETH_HLEN + (unsigned)sizeof(struct pbgen_hdr))
#define PBGEN_OFF(field)  (PBGEN_HDR_OFF + __builtin_offsetof(struct pbgen_hdr, field))
#define PBGEN_MAX_PAYLOAD (PBGEN_MAX_FRAME - PBGEN_PAYLOAD_OFF)
#define PBGEN_PATTERN_LEN (PBGEN_VARIANTS * PBGEN_VAR_STRIDE + PBGEN_MAX_PAYLOAD)

/* The payload pattern, filled by pbgen_pattern_init(). */
extern uint8_t pbgen_pattern[PBGEN_PATTERN_LEN];

/*
 * Frames are read and written through memcpy: the header sits at offset 14,
 * so its 64-bit fields are unaligned. memcpy of a constant size compiles to
 * a plain (unaligned-capable) move.
 */
static inline uint64_t pbgen_ld64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline uint32_t pbgen_ld32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint16_t pbgen_ld16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline void pbgen_st64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* ---- sending ---- */

/* The 256 prebuilt frames of a sender, one per payload variant. */
struct pbgen_tx {
	uint8_t *tmpl;	 /* PBGEN_VARIANTS frames, each `stride` bytes apart */
	uint32_t size;	 /* frame length */
	uint32_t stride; /* size rounded up to a cache line */
};

int pbgen_tx_init(struct pbgen_tx *t, uint32_t size, uint32_t stream, uint16_t flags);
void pbgen_tx_free(struct pbgen_tx *t);

/*
 * The template that carries sequence number @seq. Frames of up to
 * PBGEN_VARIANTS consecutive sequence numbers can be outstanding at once
 * (one burst), since each uses its own template.
 */
static inline uint8_t *pbgen_tx_slot(struct pbgen_tx *t, uint64_t seq)
{
	return t->tmpl + (size_t)(seq % PBGEN_VARIANTS) * t->stride;
}

/* Make @seq's template the frame with sequence number @seq, stamped @tx_ns. */
static inline uint8_t *pbgen_tx_frame(struct pbgen_tx *t, uint64_t seq, uint64_t tx_ns)
{
	uint8_t *p = pbgen_tx_slot(t, seq);

	pbgen_st64(p + PBGEN_OFF(seq), seq);
	pbgen_st64(p + PBGEN_OFF(tx_ns), tx_ns);
	return p;
}

/* ---- receiving ---- */

enum pbgen_verdict {
	PBGEN_OK,      /* a pbgen frame, intact (or not checked: --no-verify) */
	PBGEN_FOREIGN, /* not a pbgen frame, or another stream's */
	PBGEN_BAD,     /* a pbgen frame with a wrong length, checksum or payload */
};

struct pbgen_check {
	bool verify;	 /* check length, checksum and every payload byte */
	bool any_stream; /* accept every stream id */
	uint32_t stream;
	uint32_t csum_len;	       /* payload length csum[] is for, 0 = none */
	uint32_t csum[PBGEN_VARIANTS]; /* expected checksums for csum_len */
};

void pbgen_check_init(struct pbgen_check *c, bool verify, bool any_stream, uint32_t stream);
void pbgen_check_csums(struct pbgen_check *c, uint32_t payload_len);
uint32_t pbgen_fnv1a(const uint8_t *p, size_t len);

/*
 * Classify one received frame and return its sequence number in @seq.
 * Without verify it reads only the ethertype, magic and sequence number (the
 * benchmark's "touch every frame"); with it, every byte.
 */
static inline enum pbgen_verdict pbgen_check_frame(struct pbgen_check *c, const struct pb_frame *f,
						   uint64_t *seq)
{
	const uint8_t *p = f->data;
	uint32_t plen;

	if (pbgen_unlikely(f->len < PBGEN_PAYLOAD_OFF))
		return PBGEN_FOREIGN;
	if (pbgen_unlikely(p[12] != (PBGEN_ETHERTYPE >> 8) || p[13] != (PBGEN_ETHERTYPE & 0xff) ||
			   pbgen_ld32(p + PBGEN_OFF(magic)) != PBGEN_MAGIC))
		return PBGEN_FOREIGN;
	if (!c->any_stream && pbgen_ld32(p + PBGEN_OFF(stream)) != c->stream)
		return PBGEN_FOREIGN;
	*seq = pbgen_ld64(p + PBGEN_OFF(seq));
	if (!c->verify)
		return PBGEN_OK;

	/* The length bounds also keep the memcmp() below inside the pattern. */
	if (pbgen_unlikely(pbgen_ld16(p + PBGEN_OFF(len)) != f->len || f->len < PBGEN_MIN_FRAME ||
			   f->len > PBGEN_MAX_FRAME))
		return PBGEN_BAD;
	plen = f->len - PBGEN_PAYLOAD_OFF;
	/* Senders use one size, so the table is rebuilt only when it changes. */
	if (pbgen_unlikely(plen != c->csum_len))
		pbgen_check_csums(c, plen);
	if (pbgen_unlikely(pbgen_ld32(p + PBGEN_OFF(csum)) != c->csum[*seq % PBGEN_VARIANTS]))
		return PBGEN_BAD;
	if (pbgen_unlikely(memcmp(p + PBGEN_PAYLOAD_OFF,
				  pbgen_pattern + (*seq % PBGEN_VARIANTS) * PBGEN_VAR_STRIDE,
				  plen)))
		return PBGEN_BAD;
	return PBGEN_OK;
}

void pbgen_pattern_init(void);

#endif /* PBGEN_FRAME_H */
