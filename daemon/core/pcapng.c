/* SPDX-License-Identifier: MIT */
/*
 * pcapng.c - pcapng blocks, from draft-ietf-opsawg-pcapng (see pcapng.h).
 * Every block is: type (4), total length (4), body padded to 32 bits,
 * options (code 2, length 2, value padded to 32 bits, ended by
 * opt_endofopt), and the total length again.
 */
#include <string.h>

#include "core/pcapng.h"

#define OPT_ENDOFOPT   0
#define OPT_SHB_APPL   4
#define OPT_IF_NAME    2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS  2

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

/* An option: code, length, value, zero padding to 32 bits. */
static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val, uint16_t len)
{
	p = put16(p, code);
	p = put16(p, len);
	if (len)
		memcpy(p, val, len);
	memset(p + len, 0, (size_t)((4 - len % 4) % 4));
	return p + ((len + 3u) & ~3u);
}

/* Close the block that starts at @start and whose body ends at @p. */
static size_t end_block(uint8_t *start, uint8_t *p)
{
	uint32_t len = (uint32_t)(p - start) + 4;

	put32(start + 4, len);
	put32(p, len);
	return len;
}

size_t pbd_pcapng_header(uint8_t *buf, const char *app, const char *if_name, uint32_t snaplen)
{
	uint8_t *p = buf, *b = buf;
	size_t alen = strnlen(app, 128), nlen = strnlen(if_name, 64);
	uint8_t tsresol = 9; /* 10^-9 s: timestamps in nanoseconds */

	/* Section Header Block: byte-order magic, version 1.0, length unknown. */
	p = put32(p, PBD_PCAPNG_SHB);
	p = put32(p, 0);
	p = put32(p, PBD_PCAPNG_BOM);
	p = put16(p, 1);
	p = put16(p, 0);
	p = put32(p, 0xffffffffu);
	p = put32(p, 0xffffffffu);
	p = put_opt(p, OPT_SHB_APPL, app, (uint16_t)alen);
	p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	p += end_block(b, p) - (size_t)(p - b); /* the trailing length */

	/* Interface Description Block 0. */
	b = p;
	p = put32(p, PBD_PCAPNG_IDB);
	p = put32(p, 0);
	p = put16(p, PBD_PCAPNG_LINK_ETHER);
	p = put16(p, 0);
	p = put32(p, snaplen);
	p = put_opt(p, OPT_IF_NAME, if_name, (uint16_t)nlen);
	p = put_opt(p, OPT_IF_TSRESOL, &tsresol, 1);
	p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	p += end_block(b, p) - (size_t)(p - b); /* the trailing length */
	return (size_t)(p - buf);
}

size_t pbd_pcapng_epb(uint8_t *buf, uint64_t ts_ns, const void *data, uint32_t caplen,
		      uint32_t origlen, uint32_t flags)
{
	uint8_t *p = buf;

	p = put32(p, PBD_PCAPNG_EPB);
	p = put32(p, 0);
	p = put32(p, 0); /* interface 0 */
	p = put32(p, (uint32_t)(ts_ns >> 32));
	p = put32(p, (uint32_t)ts_ns);
	p = put32(p, caplen);
	p = put32(p, origlen);
	memcpy(p, data, caplen);
	memset(p + caplen, 0, (size_t)((4 - caplen % 4) % 4));
	p += (caplen + 3u) & ~3u;
	if (flags) {
		p = put_opt(p, OPT_EPB_FLAGS, &flags, 4);
		p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	}
	return end_block(buf, p);
}
