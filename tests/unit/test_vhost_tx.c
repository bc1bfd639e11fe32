/* SPDX-License-Identifier: MIT */
/*
 * test_vhost_tx.c - a "vhost:" port's tx path (vhost_tx_burst) against
 * receive buffers laid out in ways our own frontend never posts: frame
 * starts off a cache line, frames scattered over several mergeable buffers
 * or over the segments of one chain, segments that end mid-line. Each
 * layout runs with copy=stream and copy=cache.
 *
 * Why a scripted driver: the "virtio:" port always posts one 64-byte
 * aligned buffer per descriptor, so the loopback test cannot reach the
 * unaligned head, the scatter path with streaming stores, or the padded
 * last line that must not be streamed past a segment's end. Here the test
 * plays the front-end over the Unix socket (as test_backend_*.c do against
 * the bare back-end), owns the memfd with the split ring, and so chooses
 * every address and length. Every byte of the buffer area is checked after
 * the burst: the frame and the header inside the buffers, guard bytes
 * everywhere else.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "net/virtio_net.h"
#include "ring/virtio_ring.h"
#include "util/compiler.h"
#include "util/sock.h"
#include "vhost/codec.h"
#include "vhost/wire.h"

/* The driver's memory: both split rings, then the buffer area. */
#define MEM_SIZE     (256 * 1024)
#define MEM_GPA	     0x100000ULL
#define MEM_UVA	     0x7f0000000000ULL
#define QSIZE	     256
#define RING_OFF(q)  ((uint64_t)(q)*16384)
#define DESC_OFF(q)  (RING_OFF(q))
#define AVAIL_OFF(q) (RING_OFF(q) + 4096)
#define USED_OFF(q)  (RING_OFF(q) + 8192)
#define BUF_OFF	     32768u /* 64-aligned: offsets below are chosen from here */
#define BUF_SIZE     (MEM_SIZE - BUF_OFF)

#define GUARD	 0xA5
#define LINE	 64u
#define HDR	 PB_VNET_HDR_LEN
#define MAX_SEGS 8

/* One posted receive buffer (a descriptor): offset into the buffer area. */
struct seg {
	uint32_t off, len;
};

/* One chain the driver makes available on its RX ring. */
struct chain {
	unsigned nseg;
	struct seg seg[MAX_SEGS];
	uint16_t head; /* set by post() */
};

struct fx {
	char dir[64];
	char path[128];
	struct pb_port *port;
	struct pb_vu_conn fe;
	int memfd;
	uint8_t *mem;
	int kick[2], call[2];
	uint16_t next_desc;   /* first free descriptor of queue 0 */
	uint16_t avail_idx;   /* avail->idx of queue 0 as published */
	uint16_t used_seen;   /* used elements of queue 0 already checked */
	bool stream;	      /* the port runs copy=stream */
	uint8_t *frame;	      /* the caller's frame */
	uint8_t *expect;      /* what the buffer area must hold afterwards */
	uint8_t *may_be_zero; /* 1 where a padded streamed line may have left 0 */
};

static struct fx fx_storage;

/* ---- the scripted front-end -------------------------------------------- */

/* Send a request; the port handles it in its next dispatch. */
static void request(struct fx *f, uint32_t req, const void *payload, uint32_t size, const int *fds,
		    unsigned nfds)
{
	static struct pb_vu_msg m;

	pb_vu_msg_set(&m, req, 0, size);
	if (size)
		memcpy(m.payload.raw, payload, size);
	for (unsigned i = 0; i < nfds; i++)
		m.fds[i] = fds[i];
	m.nfds = nfds;
	assert_int_equal(pb_vu_conn_send(&f->fe, &m), 0);
	assert_int_equal(pb_port_dispatch(f->port), 0);
}

static void request_u64(struct fx *f, uint32_t req, uint64_t v)
{
	request(f, req, &v, sizeof(v), NULL, 0);
}

static void request_state(struct fx *f, uint32_t req, uint32_t index, uint32_t num)
{
	struct pb_vu_vring_state s = {index, num};

	request(f, req, &s, sizeof(s), NULL, 0);
}

static void send_vring_fd(struct fx *f, uint32_t req, unsigned q, int fd)
{
	uint64_t v = q;

	request(f, req, &v, 8, &fd, 1);
}

/* Connect, negotiate @features (no protocol features: rings start enabled,
 * as with a legacy QEMU), hand over memory and both rings. */
static void connect_driver(struct fx *f, uint64_t features)
{
	struct pb_vu_msg r;
	struct pb_vu_memory t = {.nregions = 1};
	int fd = pb_sock_connect(f->path);

	assert_true(fd >= 0);
	pb_vu_conn_init(&f->fe, fd);
	assert_int_equal(pb_port_dispatch(f->port), 0); /* accepts */

	request(f, VHOST_USER_GET_FEATURES, NULL, 0, NULL, 0);
	assert_int_equal(pb_vu_conn_recv_wait(&f->fe, &r, 1000), 1);
	assert_int_equal(r.hdr.request, VHOST_USER_GET_FEATURES);
	/* What the test is about must be on offer, else it tests nothing. */
	assert_true((r.payload.u64 & features) == features);
	request(f, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
	request_u64(f, VHOST_USER_SET_FEATURES, features);

	t.regions[0] = (struct pb_vu_mem_region){MEM_GPA, MEM_SIZE, MEM_UVA, 0};
	request(f, VHOST_USER_SET_MEM_TABLE, &t, 8 + 32, &f->memfd, 1);
	for (unsigned q = 0; q < 2; q++) {
		struct pb_vu_vring_addr a = {
		    .index = q,
		    .desc_user_addr = MEM_UVA + DESC_OFF(q),
		    .avail_user_addr = MEM_UVA + AVAIL_OFF(q),
		    .used_user_addr = MEM_UVA + USED_OFF(q),
		};
		send_vring_fd(f, VHOST_USER_SET_VRING_CALL, q, f->call[q]);
		request_state(f, VHOST_USER_SET_VRING_NUM, q, QSIZE);
		request_state(f, VHOST_USER_SET_VRING_BASE, q, 0);
		request(f, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0);
		send_vring_fd(f, VHOST_USER_SET_VRING_KICK, q, f->kick[q]);
	}
	assert_true(pb_port_is_up(f->port));
	/* None of the above asks for a reply. */
	assert_int_equal(pb_vu_conn_recv(&f->fe, &r), 0);
}

/* Make @c available on queue 0 (the driver's RX ring). Each descriptor is
 * device-writable; all but the last of a chain have NEXT. */
static void post(struct fx *f, struct chain *c)
{
	struct vring_desc *desc = (struct vring_desc *)(f->mem + DESC_OFF(0));
	struct vring_avail *avail = (struct vring_avail *)(f->mem + AVAIL_OFF(0));
	uint16_t head = f->next_desc;

	for (unsigned i = 0; i < c->nseg; i++) {
		uint16_t d = (uint16_t)(f->next_desc++ % QSIZE);
		bool more = i + 1 < c->nseg;

		assert_true(c->seg[i].off + c->seg[i].len <= BUF_SIZE);
		desc[d] = (struct vring_desc){
		    .addr = MEM_GPA + BUF_OFF + c->seg[i].off,
		    .len = c->seg[i].len,
		    .flags = (uint16_t)(VRING_DESC_F_WRITE | (more ? VRING_DESC_F_NEXT : 0)),
		    .next = (uint16_t)((d + 1) % QSIZE),
		};
	}
	c->head = (uint16_t)(head % QSIZE);
	avail->ring[f->avail_idx % QSIZE] = c->head;
	f->avail_idx++;
	__atomic_store_n(&avail->idx, f->avail_idx, __ATOMIC_RELEASE);
}

/* ---- fixtures ----------------------------------------------------------- */

static int setup_mode(void **state, const char *copy)
{
	struct fx *f = &fx_storage;
	char spec[256];

	memset(f, 0, sizeof(*f));
	f->fe.fd = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pb-vhost-tx-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%.60s/sock", f->dir);
	f->memfd = memfd_create("test-vhost-tx", MFD_CLOEXEC);
	if (f->memfd < 0 || ftruncate(f->memfd, MEM_SIZE) < 0)
		return -1;
	f->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	if (f->mem == MAP_FAILED)
		return -1;
	for (int q = 0; q < 2; q++) {
		f->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->call[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->kick[q] < 0 || f->call[q] < 0)
			return -1;
	}
	f->frame = malloc(PB_MTU_DEFAULT + PB_ETH_OVERHEAD);
	f->expect = malloc(BUF_SIZE);
	f->may_be_zero = malloc(BUF_SIZE);
	if (!f->frame || !f->expect || !f->may_be_zero)
		return -1;
	f->stream = strcmp(copy, "stream") == 0;
	snprintf(spec, sizeof(spec), "vhost:%.127s,copy=%.16s", f->path, copy);
	f->port = pb_port_open(spec);
	if (!f->port)
		return -1;
	/* Guard bytes everywhere a buffer may be: anything the port writes
	 * outside what it was given shows up as a changed guard. */
	memset(f->mem + BUF_OFF, GUARD, BUF_SIZE);
	memcpy(f->expect, f->mem + BUF_OFF, BUF_SIZE);
	memset(f->may_be_zero, 0, BUF_SIZE);
	*state = f;
	return 0;
}

static int setup_stream(void **state)
{
	return setup_mode(state, "stream");
}

static int setup_cache(void **state)
{
	return setup_mode(state, "cache");
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pb_port_close(f->port);
	pb_vu_conn_close(&f->fe);
	for (int q = 0; q < 2; q++) {
		close(f->kick[q]);
		close(f->call[q]);
	}
	munmap(f->mem, MEM_SIZE);
	close(f->memfd);
	free(f->frame);
	free(f->expect);
	free(f->may_be_zero);
	unlink(f->path);
	rmdir(f->dir);
	return 0;
}

/* ---- sending and checking ---------------------------------------------- */

/* Bytes that differ from both the guard and from zero, and from their
 * neighbours: a byte landing one place off is caught. */
static void fill_frame(struct fx *f, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)(seed + i * 7u);
		f->frame[i] = (b == 0 || b == GUARD) ? 0x5a : b;
	}
}

/*
 * Send one @len-byte frame into the chains @c posted beforehand, and
 * check all of it: the port used @used chains (their lengths as the
 * device must report them), header and frame land in order across the
 * segments, and no byte of the buffer area changed elsewhere. Only in
 * stream mode, the bytes after the frame up to the end of the line
 * holding its last byte may be zero (a padded streamed line), and only
 * inside the segment.
 */
static void send_and_check(struct fx *f, const struct chain *c, unsigned used, uint32_t len,
			   uint64_t streamed)
{
	struct vring_used *u = (struct vring_used *)(f->mem + USED_OFF(0));
	struct virtio_net_hdr_v1 hdr = {.num_buffers = (uint16_t)used};
	struct pb_frame fr = {.data = f->frame, .len = len};
	struct pb_port_stats before, after;
	uint32_t total = HDR + len, done = 0;

	pb_port_get_stats(f->port, &before);
	assert_int_equal(pb_port_tx_burst(f->port, &fr, 1), 1);
	assert_int_equal(pb_port_dispatch(f->port), 0);
	pb_port_get_stats(f->port, &after);
	assert_int_equal(after.tx_frames - before.tx_frames, 1);
	assert_int_equal(after.tx_dropped - before.tx_dropped, 0);
	assert_int_equal(after.tx_bytes - before.tx_bytes, len);
	assert_int_equal(after.tx_streamed - before.tx_streamed, streamed);

	/* The used ring: one element per chain taken, in order, each with
	 * the bytes written into it. */
	assert_int_equal(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE), f->used_seen + used);
	for (unsigned j = 0; j < used; j++) {
		uint32_t room = 0;
		for (unsigned i = 0; i < c[j].nseg; i++)
			room += c[j].seg[i].len;
		uint32_t want = PB_MIN(room, total - done);
		struct vring_used_elem *e = &u->ring[(f->used_seen + j) % QSIZE];
		assert_int_equal(e->id, c[j].head);
		assert_int_equal(e->len, want);
		done += want;
	}
	assert_int_equal(done, total);
	f->used_seen = (uint16_t)(f->used_seen + used);

	/* What the buffers must hold: the header, then the frame, written
	 * segment after segment, chain after chain. */
	uint8_t msg[HDR + PB_MTU_DEFAULT + PB_ETH_OVERHEAD];
	memcpy(msg, &hdr, HDR);
	memcpy(msg + HDR, f->frame, len);
	done = 0;
	for (unsigned j = 0; j < used; j++) {
		for (unsigned i = 0; i < c[j].nseg && done < total; i++) {
			const struct seg *s = &c[j].seg[i];
			uint32_t k = PB_MIN(s->len, total - done);
			memcpy(f->expect + s->off, msg + done, k);
			done += k;
			/* A streamed padded line may zero the rest of the
			 * last line, never past the segment's end. */
			if (f->stream && k < s->len) {
				uint32_t end = s->off + k;
				uint32_t line_end =
				    (end + LINE - 1) / LINE * LINE; /* BUF_OFF is aligned */
				for (uint32_t b = end; b < line_end && b < s->off + s->len; b++)
					f->may_be_zero[b] = 1;
			}
		}
	}
	for (uint32_t b = 0; b < BUF_SIZE; b++) {
		uint8_t got = f->mem[BUF_OFF + b];
		if (got == f->expect[b] || (f->may_be_zero[b] && got == 0))
			continue;
		fail_msg("buffer area byte %u (line offset %u): got 0x%02x, want 0x%02x", b,
			 b % LINE, got, f->expect[b]);
	}
	/* Keep the picture for the next frame: padding that was written
	 * stays what it now is. */
	memcpy(f->expect, f->mem + BUF_OFF, BUF_SIZE);
	memset(f->may_be_zero, 0, BUF_SIZE);
}

/* On x86-64 streaming stores exist; elsewhere copy=stream is memcpy and
 * nothing is ever counted as streamed. */
#if defined(__x86_64__)
#define S(n) ((uint64_t)(f->stream ? (n) : 0))
#else
#define S(n) ((uint64_t)0 * (n))
#endif

/* ---- tests -------------------------------------------------------------- */

/*
 * (a) and (c): one buffer per frame, the frame starting 17 bytes into a
 * line (buffer at line + 5, header 12). The common path copies in place.
 */
static void test_single_unaligned(void **state)
{
	struct fx *f = *state;

	connect_driver(f, PB_BIT(VIRTIO_F_VERSION_1));

	/* Ample: 47 bytes to the line boundary, 3 whole lines, a 61-byte
	 * tail streamed padded (the buffer has room for the whole line). */
	struct chain ample = {1, {{0 * 1024 + 5, 1024}}};
	post(f, &ample);
	fill_frame(f, 300, 1);
	send_and_check(f, &ample, 1, 300, S(1));

	/* Exactly header + frame: the buffer ends 61 bytes into a line, so
	 * the tail must be copied, not streamed as a line (guards follow). */
	struct chain exact = {1, {{2 * 1024 + 5, HDR + 300}}};
	post(f, &exact);
	fill_frame(f, 300, 2);
	send_and_check(f, &exact, 1, 300, S(1));

	/* Exact and shorter than the head: nothing reaches a whole line, so
	 * nothing may be streamed and the frame must not count. */
	struct chain tiny = {1, {{4 * 1024 + 5, HDR + 40}}};
	post(f, &tiny);
	fill_frame(f, 40, 3);
	send_and_check(f, &tiny, 1, 40, S(0));

	/* Exact: 47-byte head, one whole line, then 60 bytes with the
	 * buffer ending 4 bytes short of that line's end: copied. */
	struct chain near = {1, {{5 * 1024 + 5, HDR + 47 + 64 + 60}}};
	post(f, &near);
	fill_frame(f, 47 + 64 + 60, 4);
	send_and_check(f, &near, 1, 47 + 64 + 60, S(1));

	/* The largest frame, exactly fitting, unaligned. */
	uint32_t big = PB_MTU_DEFAULT + 14;
	struct chain full = {1, {{6 * 1024 + 5, HDR + big}}};
	post(f, &full);
	fill_frame(f, big, 5);
	send_and_check(f, &full, 1, big, S(1));
}

/*
 * (b) and (c): MRG_RXBUF, small unaligned buffers, one 300-byte frame over
 * four of them; the header and the frame's start share the first, and
 * every buffer ends mid-line.
 */
static void test_mergeable_scatter(void **state)
{
	struct fx *f = *state;

	connect_driver(f, PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_NET_F_MRG_RXBUF));

	struct chain c[4] = {
	    {1, {{0 * 512 + 5, 100}}},	    /* header + 88 frame bytes */
	    {1, {{1 * 512 + 33, 77}}},	    /* 64 + 13 */
	    {1, {{2 * 512 + 63, 64 + 13}}}, /* a line's last byte, then a line */
	    {1, {{3 * 512 + 1, 200}}},	    /* the rest: 58 bytes, room to spare */
	};
	for (unsigned i = 0; i < 4; i++)
		post(f, &c[i]);
	fill_frame(f, 300, 6);
	/* Only the third buffer holds a whole line (after its 1-byte head):
	 * the first three are copied head + short tail, the fourth takes 58
	 * bytes, all before its first line boundary. One frame counted. */
	send_and_check(f, c, 4, 300, S(1));

	/* Buffers too small to hold a whole line anywhere, each ending
	 * mid-line: nothing streamed, nothing counted. */
	struct chain d[5] = {
	    {1, {{8 * 512 + 40, 60}}}, {1, {{9 * 512 + 20, 50}}}, {1, {{10 * 512 + 10, 63}}},
	    {1, {{11 * 512 + 0, 63}}}, {1, {{12 * 512 + 2, 61}}},
	};
	for (unsigned i = 0; i < 5; i++)
		post(f, &d[i]);
	fill_frame(f, 200, 7);
	send_and_check(f, d, 4, 200, S(0));
	/* The fifth buffer was not needed: the next frame starts there. */
	fill_frame(f, 40, 8);
	send_and_check(f, &d[4], 1, 40, S(0));
}

/*
 * (b) and (c) within one chain: a 12-byte header segment, then the frame
 * in further writable descriptors, all unaligned.
 */
static void test_chain_segments(void **state)
{
	struct fx *f = *state;

	connect_driver(f, PB_BIT(VIRTIO_F_VERSION_1));

	/* Header alone, frame in an ample second segment 9 bytes into a
	 * line: 55 bytes of head, 3 lines, tail padded within the segment. */
	struct chain two = {2, {{0 * 1024 + 5, HDR}, {1 * 1024 + 9, 1024}}};
	post(f, &two);
	fill_frame(f, 300, 9);
	send_and_check(f, &two, 1, 300, S(1));

	/* Header and frame split mid-segment, segments ending mid-line, the
	 * last one exactly as long as needed. */
	struct chain three = {3,
			      {{2 * 1024 + 5, 40}, {3 * 1024 + 33, 64 + 13}, {4 * 1024 + 7, 300}}};
	uint32_t len = 40 - HDR + 64 + 13 + 300;
	post(f, &three);
	fill_frame(f, len, 10);
	send_and_check(f, &three, 1, len, S(1));

	/* Segments of a few bytes: heads only, nothing streamed. */
	struct chain bits = {
	    4,
	    {{5 * 1024 + 60, 10}, {5 * 1024 + 200, 20}, {6 * 1024 + 3, 50}, {6 * 1024 + 129, 40}}};
	post(f, &bits);
	fill_frame(f, 100, 11);
	send_and_check(f, &bits, 1, 100, S(0));
}

/* (b) with mergeable buffers that are chains themselves. */
static void test_mergeable_chains(void **state)
{
	struct fx *f = *state;

	connect_driver(f, PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_NET_F_MRG_RXBUF));

	struct chain c[2] = {
	    {2, {{0 * 1024 + 5, HDR}, {1 * 1024 + 17, 100}}},
	    {2, {{2 * 1024 + 50, 90}, {3 * 1024 + 3, 300}}},
	};
	post(f, &c[0]);
	post(f, &c[1]);
	fill_frame(f, 400, 12);
	send_and_check(f, c, 2, 400, S(1));
}

/* Each layout under both copy modes, named so a failure says which. */
// clang-format off
#define T(fn, mode) \
	{.name = #fn "/copy=" #mode, .test_func = fn, \
	 .setup_func = setup_##mode, .teardown_func = teardown}
// clang-format on

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_single_unaligned, stream),  T(test_single_unaligned, cache),
	    T(test_mergeable_scatter, stream), T(test_mergeable_scatter, cache),
	    T(test_chain_segments, stream),    T(test_chain_segments, cache),
	    T(test_mergeable_chains, stream),  T(test_mergeable_chains, cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
