/* SPDX-License-Identifier: MIT */
/*
 * stream_copy.h - copy a frame into memory the peer will read, with
 * non-temporal ("streaming") stores for its whole cache lines.
 *
 * Why: a sender that writes a frame with ordinary stores must first own
 * each line, and the line is usually in the receiver's cache (it read the
 * previous frame there). When the two CPUs do not share a cache, each such
 * read-for-ownership is a cross-die round trip (~0.5 us measured here), and
 * x86 stores leave the store buffer in order, so a few of them stall the
 * sender. A non-temporal store of a whole line needs no ownership: it goes
 * to memory through a write-combining buffer, and the receiver reads it
 * from there. Where the CPUs share a cache that trade is a loss, which is
 * why ports choose per run (port/tx_copy.h) and never use this blindly.
 *
 * Streamed stores are weakly ordered: pb_stream_fence() must run before
 * the release store that hands the buffers to the peer.
 *
 * Only x86-64 has these here (SSE2, always present there); elsewhere
 * pb_stream_copy() is memcpy() and PB_HAVE_STREAM is 0.
 */
#ifndef PB_STREAM_COPY_H
#define PB_STREAM_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/compiler.h"

#if defined(__x86_64__)
#include <emmintrin.h>
#define PB_HAVE_STREAM 1
#else
#define PB_HAVE_STREAM 0
#endif

#if PB_HAVE_STREAM
/* One whole, aligned line from anywhere. */
static inline void pb_stream_line(uint8_t *dst, const uint8_t *src)
{
	__m128i a = _mm_loadu_si128((const __m128i *)src);
	__m128i b = _mm_loadu_si128((const __m128i *)(src + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(src + 32));
	__m128i d = _mm_loadu_si128((const __m128i *)(src + 48));

	_mm_stream_si128((__m128i *)dst, a);
	_mm_stream_si128((__m128i *)(dst + 16), b);
	_mm_stream_si128((__m128i *)(dst + 32), c);
	_mm_stream_si128((__m128i *)(dst + 48), d);
}
#endif

/*
 * Copy @len bytes from @src to @dst, where the @room bytes from @dst
 * (room >= len) may all be written: a device may write past the frame
 * within its buffer (virtio 1.2 §2.7.8.2, 1.1 §2.6.8.2: "MAY write more
 * than len"), and a
 * driver owns its own buffers. The part before @dst's first line boundary
 * is copied with ordinary stores (the line may hold bytes we must not
 * touch); whole lines are streamed; a last partial line is streamed as a
 * whole line, padded with zeros, when it lies within @room, else copied.
 * Returns true if anything was streamed (pb_stream_fence() is then due).
 */
static inline bool pb_stream_copy(void *dst, const void *src, size_t len, size_t room)
{
#if PB_HAVE_STREAM
	uint8_t *d = dst;
	const uint8_t *s = src;
	size_t head = (size_t)(-(uintptr_t)d & (PB_CACHE_LINE - 1));
	bool streamed = false;

	if (head) {
		head = PB_MIN(head, len);
		memcpy(d, s, head);
		d += head;
		s += head;
		len -= head;
		room -= head;
	}
	for (; len >= PB_CACHE_LINE; len -= PB_CACHE_LINE, room -= PB_CACHE_LINE) {
		pb_stream_line(d, s);
		d += PB_CACHE_LINE;
		s += PB_CACHE_LINE;
		streamed = true;
	}
	if (len) {
		if (room >= PB_CACHE_LINE) {
			/* Do not read past the end of src: pad a copy. */
			uint8_t tail[PB_CACHE_LINE] __attribute__((aligned(16))) = {0};
			memcpy(tail, s, len);
			pb_stream_line(d, tail);
			streamed = true;
		} else {
			memcpy(d, s, len);
		}
	}
	return streamed;
#else
	(void)room;
	memcpy(dst, src, len);
	return false;
#endif
}

/* Order every earlier streamed store before later stores (the index or
 * flags store that publishes the buffers). */
static inline void pb_stream_fence(void)
{
#if PB_HAVE_STREAM
	_mm_sfence();
#endif
}

#endif /* PB_STREAM_COPY_H */
