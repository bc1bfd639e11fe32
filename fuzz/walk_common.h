/* SPDX-License-Identifier: MIT */
/*
 * walk_common.h - what the two descriptor-walk harnesses share
 * (fuzz_desc_walk.c for split rings, fuzz_packed_walk.c for packed ones):
 * the guest memory a hostile driver's ring lives in, the input reader, and
 * the invariants every chain the device pops must keep whatever the ring
 * said.
 *
 * Guest layout: region 0 is GPA [0x1000, 0xc000) at file offset 0; a gap;
 * region 1 is GPA [0xd000, 0x10000) at the unaligned file offset 0xb010.
 * UVA = GPA + UVA_SHIFT, so a mix-up of the two spaces shows. The ring's
 * three areas take a page each from DESC_GPA (the harness names the second
 * and third); indirect tables and buffers live in the two data areas.
 */
#ifndef PB_FUZZ_WALK_COMMON_H
#define PB_FUZZ_WALK_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <patchbay/patchbay.h>

#include "mem/guest_mem.h"
#include "ring/split_device.h" /* struct pb_vq_chain */
#include "check.h"

#define R0_GPA	  0x1000u
#define R0_SIZE	  0xb000u
#define R1_GPA	  0xd000u
#define R1_SIZE	  0x3000u
#define R1_OFF	  0xb010u
#define FILE_SIZE 0x10000u
#define UVA_SHIFT 0x100000u

#define DESC_GPA  0x1000u /* up to 256 * 16 */
#define AREA2_GPA 0x2000u /* split: avail ring; packed: driver event word */
#define AREA3_GPA 0x3000u /* split: used ring; packed: device event word */
#define DATA0_GPA 0x4000u /* to the end of region 0 */
#define DATA1_GPA R1_GPA  /* all of region 1 */

/* Header bits both harnesses read the same way (byte 0). */
#define CFG_EVENT_IDX 0x01
#define CFG_INDIRECT  0x02
#define CFG_COMPACT   0x04
#define CFG_NOTIFY    0x40
#define CFG_DRIVER    0x80

/* Driver mode: our own ring's buffers, not guest memory. */
#define DRV_STRIDE 128

/* The guest memory table (NULL until walk_setup) and an eventfd the rings
 * signal in notify mode. */
extern struct pb_guest_mem *walk_mem;
extern int walk_efd;

/* Map the two regions of a memfd named @name and make the eventfd; aborts
 * on failure (the harness cannot run without them). */
void walk_setup(const char *name);
/* Zero every region, as at the start of an input. */
void walk_clear(void);
/* The host address of guest byte @gpa (which must be mapped). */
uint8_t *walk_host(uint64_t gpa);
/* Consume up to @len input bytes into @dst, zero-filling the rest. */
void walk_take(uint8_t *dst, size_t len, const uint8_t **in, size_t *left);
/* Keep 16 bits of addr and len in each 16-byte descriptor record of @p
 * (split and packed descriptors both start with le64 addr, le32 len), so
 * that valid addresses (all below 64 KiB here) are easy to reach. */
void walk_compact(uint8_t *p, size_t len);
/* Fill the data areas where indirect tables and buffers live: @n0 bytes
 * from @src0 into area 0, @n1 from @src1 into area 1, compacted in compact
 * mode (cfg). */
void walk_load_data(uint8_t cfg, const uint8_t *src0, size_t n0, const uint8_t *src1, size_t n1);
/* The segments of a popped chain: each non-empty and wholly inside one
 * region's mapping (ASan cannot see past an mmap, so this is checked by
 * hand), every byte read (readable) or written (writable), and the chain's
 * counts adding up, also for TOO_LONG (test_chain_too_long_counts). */
void walk_check_segments(const struct pb_vq_chain *c, int rc);
/* Read the eventfd back to 0, signalled or not. */
void walk_drain_eventfd(void);

/*
 * One harness, the ring layout it fuzzes: walk_common.c's fuzzer entry
 * sets up guest memory, reads the header's first byte (cfg) and hands the
 * input to device() or (CFG_DRIVER) driver() with the ring size the
 * harness reads from cfg. @hdr is the whole header (hdr_len bytes); @in
 * the rest of the input.
 */
struct walk_harness {
	const char *name;
	size_t hdr_len;
	void (*check_layout)(void); /* once, after guest memory is set up */
	uint16_t (*ring_size)(uint8_t cfg);
	void (*device)(uint8_t cfg, uint16_t num, const uint8_t *hdr, const uint8_t *in,
		       size_t left);
	void (*driver)(uint8_t cfg, uint16_t num, const uint8_t *hdr, const uint8_t *in,
		       size_t left);
};

/* Defined by the harness linked with walk_common.c. */
extern const struct walk_harness walk_harness;

#endif
