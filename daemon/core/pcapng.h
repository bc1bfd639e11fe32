/* SPDX-License-Identifier: MIT */
/*
 * pcapng.h - the blocks of a pcapng file (draft-ietf-opsawg-pcapng) that a
 * capture writes: a Section Header Block, one Interface Description Block
 * (Ethernet, the snaplen, if_name, nanosecond timestamps), and one Enhanced
 * Packet Block per frame with its direction in epb_flags. Each function
 * writes one whole block into a buffer the caller sized with the matching
 * _len() and returns its length; no I/O. Written in the host's byte order,
 * which the SHB's byte-order magic tells the reader.
 */
#ifndef PBD_PCAPNG_H
#define PBD_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define PBD_PCAPNG_SHB		   0x0A0D0D0Au
#define PBD_PCAPNG_IDB		   0x00000001u
#define PBD_PCAPNG_EPB		   0x00000006u
#define PBD_PCAPNG_BOM		   0x1A2B3C4Du
#define PBD_PCAPNG_LINK_ETHER	   1u
#define PBD_PCAPNG_FLAG_IN	   1u	/* epb_flags bits 0-1: inbound */
#define PBD_PCAPNG_FLAG_OUT	   2u	/* outbound */
#define PBD_PCAPNG_HDR_MAX	   512u /* an SHB and an IDB together fit in this */
#define PBD_PCAPNG_EPB_LEN(caplen) (28u + (((caplen) + 3u) & ~3u) + 12u + 4u)

/* SHB (with shb_userappl @app) then IDB for interface @if_name (truncated
 * to 64 bytes), snaplen @snaplen; into @buf (PBD_PCAPNG_HDR_MAX bytes). */
size_t pbd_pcapng_header(uint8_t *buf, const char *app, const char *if_name, uint32_t snaplen);

/* An EPB on interface 0: @ts_ns since the epoch, @caplen bytes of @data of a
 * frame of @origlen, @flags PBD_PCAPNG_FLAG_IN or _OUT (0: none). @buf holds
 * PBD_PCAPNG_EPB_LEN(@caplen) bytes. */
size_t pbd_pcapng_epb(uint8_t *buf, uint64_t ts_ns, const void *data, uint32_t caplen,
		      uint32_t origlen, uint32_t flags);

#endif /* PBD_PCAPNG_H */
