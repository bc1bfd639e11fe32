/* SPDX-License-Identifier: MIT */
/*
 * test_capture.c - capture of a port to pcapng, without a daemon: the
 * command line's options and their JSON form (common/capture_opts.c), the
 * pcapng blocks (daemon/core/pcapng.c) read back field by field, and the
 * ring to the writer thread (daemon/core/capture.c) driven through the
 * worker's own wrappers pbd_port_rx()/pbd_port_tx() on a port of a fake
 * type: every frame written once, in order, cut to the snaplen, with its
 * direction; count= ends it; a reader that never reads makes drops, never a
 * wait, and a stop still returns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/capture_opts.h"
#include "common/cmdtab.h"
#include "core/capture.h"
#include "core/port_io.h"
#include "core/pcapng.h"

static json_t *req(const char *line, char *err, size_t errlen)
{
	char **w;
	int n = pbctl_split(line, &w, err, errlen);
	assert_true(n > 0);
	json_t *r = pbctl_request(n, w, 1, err, errlen);
	pbctl_free_words(w);
	return r;
}

static json_t *args_of(json_t *r)
{
	return json_object_get(r, "args");
}

static void test_builder(void **state)
{
	char err[256], cwd[4096], want[4200];
	json_t *r;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	r = req("capture vhost:1 x.pcapng dir=rx count=5 snaplen=1k ring=64k,3 buffer=1m", err,
		sizeof(err));
	assert_non_null(r);
	json_t *a = args_of(r);
	snprintf(want, sizeof(want), "%s/x.pcapng", cwd);
	assert_string_equal(json_string_value(json_object_get(a, "file")), want);
	assert_string_equal(json_string_value(json_object_get(a, "port")), "vhost:1");
	assert_string_equal(json_string_value(json_object_get(a, "dir")), "rx");
	assert_int_equal(json_integer_value(json_object_get(a, "count")), 5);
	assert_int_equal(json_integer_value(json_object_get(a, "snaplen")), 1024);
	assert_int_equal(json_integer_value(json_object_get(a, "buffer")), 1 << 20);
	json_t *ring = json_object_get(a, "ring");
	assert_int_equal(json_integer_value(json_object_get(ring, "size")), 65536);
	assert_int_equal(json_integer_value(json_object_get(ring, "files")), 3);
	assert_true(json_is_true(json_object_get(a, "attach")));
	assert_null(json_object_get(a, "op")); /* start */
	/* The daemon reads back what the CLI built. */
	struct pbctl_capture_opts o;
	assert_int_equal(pbctl_capture_opts_from_json(&o, a, err, sizeof(err)), 0);
	assert_int_equal(o.dir, PBCTL_CAP_RX);
	assert_int_equal(o.count, 5);
	assert_int_equal(o.snaplen, 1024);
	assert_int_equal(o.ring_size, 65536);
	assert_int_equal(o.ring_files, 3);
	json_decref(r);

	r = req("capture vhost:1 - ", err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(args_of(r), "file")), "-");
	assert_null(json_object_get(args_of(r), "dir")); /* defaults are not sent */
	json_decref(r);
	r = req("capture vhost:1 /a/b --background", err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(args_of(r), "file")), "/a/b");
	assert_null(json_object_get(args_of(r), "attach"));
	json_decref(r);
	r = req("capture show", err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(args_of(r), "op")), "show");
	json_decref(r);
	r = req("capture stop 12", err, sizeof(err));
	assert_int_equal(json_integer_value(json_object_get(args_of(r), "id")), 12);
	json_decref(r);
	r = req("capture stop tap:a", err, sizeof(err));
	assert_string_equal(json_string_value(json_object_get(args_of(r), "port")), "tap:a");
	json_decref(r);
	r = req("capture stop", err, sizeof(err));
	assert_int_equal(json_object_size(args_of(r)), 1);
	json_decref(r);

	static const char *const bad[] = {
	    "capture",
	    "capture vhost:1",
	    "capture vhost:1 f dir=sideways",
	    "capture vhost:1 f snaplen=0",
	    "capture vhost:1 f snaplen=262145",
	    "capture vhost:1 f count=0",
	    "capture vhost:1 f count=-1",
	    "capture vhost:1 f ring=64k",
	    "capture vhost:1 f ring=1k,2",
	    "capture vhost:1 f ring=64k,1",
	    "capture vhost:1 f ring=64k,1001",
	    "capture vhost:1 f ring=,2",
	    "capture vhost:1 f buffer=1k",
	    "capture vhost:1 f buffer=99999999999999999999",
	    "capture vhost:1 f colour=red",
	    "capture vhost:1 f =1",
	    "capture vhost:1 f --loud",
	    "capture vhost:1 - ring=64k,2",
	    "capture vhost:1 - --background",
	    "capture stop 1 2",
	    "capture stop 0",
	    "capture show me",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		r = req(bad[i], err, sizeof(err));
		if (r || !err[0])
			fail_msg("'%s' was accepted", bad[i]);
	}
}

static void test_json_checks(void **state)
{
	static const char *const bad[] = {
	    "{\"dir\": 1}",
	    "{\"dir\": \"up\"}",
	    "{\"count\": 0}",
	    "{\"count\": \"5\"}",
	    "{\"snaplen\": 262145}",
	    "{\"buffer\": 1024}",
	    "{\"ring\": {\"size\": 65536}}",
	    "{\"ring\": {\"size\": 65536, \"files\": 1}}",
	    "{\"ring\": {\"size\": 100, \"files\": 2}}",
	    "{\"ring\": {\"size\": 65536, \"files\": 2, \"x\": 1}}",
	    "{\"ring\": [65536, 2]}",
	};
	struct pbctl_capture_opts o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *a = json_loads(bad[i], 0, NULL);
		assert_non_null(a);
		if (pbctl_capture_opts_from_json(&o, a, err, sizeof(err)) == 0)
			fail_msg("%s was accepted", bad[i]);
		json_decref(a);
	}
	json_t *a = json_object();
	assert_int_equal(pbctl_capture_opts_from_json(&o, a, err, sizeof(err)), 0);
	assert_int_equal(o.dir, PBCTL_CAP_BOTH);
	assert_int_equal(o.snaplen, PBCTL_CAP_SNAPLEN_MAX);
	assert_int_equal(o.count, 0);
	json_decref(a);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

/* The option @code of the options at [p, end), or NULL. */
static const uint8_t *option(const uint8_t *p, const uint8_t *end, uint16_t code, uint16_t *len)
{
	while (p + 4 <= end) {
		uint16_t c = get16(p), l = get16(p + 2);
		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return p + 4;
		}
		p += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static void test_pcapng_blocks(void **state)
{
	uint8_t buf[PBD_PCAPNG_HDR_MAX], epb[PBD_PCAPNG_EPB_LEN(64)], frame[64];
	uint16_t olen;

	(void)state;
	size_t n = pbd_pcapng_header(buf, "patchbayd test", "vhost:web", 128);
	assert_true(n <= sizeof(buf));
	uint32_t shb_len = get32(buf + 4);
	assert_int_equal(get32(buf), PBD_PCAPNG_SHB);
	assert_int_equal(get32(buf + 8), PBD_PCAPNG_BOM);
	assert_int_equal(get16(buf + 12), 1);
	assert_int_equal(get16(buf + 14), 0);
	assert_int_equal(shb_len % 4, 0);
	assert_int_equal(get32(buf + shb_len - 4), shb_len);
	const uint8_t *v = option(buf + 24, buf + shb_len - 4, 4, &olen);
	assert_non_null(v);
	assert_memory_equal(v, "patchbayd test", olen);
	const uint8_t *idb = buf + shb_len;
	uint32_t idb_len = get32(idb + 4);
	assert_int_equal(shb_len + idb_len, n);
	assert_int_equal(get32(idb), PBD_PCAPNG_IDB);
	assert_int_equal(get16(idb + 8), PBD_PCAPNG_LINK_ETHER);
	assert_int_equal(get32(idb + 12), 128);
	assert_int_equal(get32(idb + idb_len - 4), idb_len);
	v = option(idb + 16, idb + idb_len - 4, 2, &olen);
	assert_non_null(v);
	assert_int_equal(olen, 9);
	assert_memory_equal(v, "vhost:web", 9);
	v = option(idb + 16, idb + idb_len - 4, 9, &olen);
	assert_non_null(v);
	assert_int_equal(olen, 1);
	assert_int_equal(v[0], 9);

	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	for (uint32_t cap = 0; cap <= 64; cap++) {
		memset(epb, 0xee, sizeof(epb));
		uint64_t ts = 0x123456789abcdefull + cap;
		size_t len = pbd_pcapng_epb(epb, ts, frame, cap, 1500, PBD_PCAPNG_FLAG_OUT);
		assert_true(len <= PBD_PCAPNG_EPB_LEN(cap));
		assert_int_equal(len % 4, 0);
		assert_int_equal(get32(epb), PBD_PCAPNG_EPB);
		assert_int_equal(get32(epb + 4), len);
		assert_int_equal(get32(epb + len - 4), len);
		assert_int_equal(get32(epb + 8), 0);
		assert_int_equal(((uint64_t)get32(epb + 12) << 32) | get32(epb + 16), ts);
		assert_int_equal(get32(epb + 20), cap);
		assert_int_equal(get32(epb + 24), 1500);
		if (cap)
			assert_memory_equal(epb + 28, frame, cap);
		for (uint32_t p = cap; p % 4; p++)
			assert_int_equal(epb[28 + p], 0); /* padding is zero */
		const uint8_t *o = epb + 28 + ((cap + 3) & ~3u);
		v = option(o, epb + len - 4, 2, &olen);
		assert_non_null(v);
		assert_int_equal(olen, 4);
		assert_int_equal(get32(v), PBD_PCAPNG_FLAG_OUT);
	}
}

/* ---- The ring and the writer, through the worker's wrappers. ---- */

static struct pb_frame fake_frames[PBD_BURST];
static uint8_t fake_data[PBD_BURST][2048];
static unsigned fake_n;

static unsigned fake_rx(struct pbd_port *p, struct pb_frame *f, unsigned n)
{
	(void)p;
	n = n < fake_n ? n : fake_n;
	memcpy(f, fake_frames, n * sizeof(*f));
	return n;
}

static unsigned fake_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n)
{
	(void)p;
	(void)f;
	return n / 2; /* the peer takes half: only those are captured */
}

static const struct pbd_port_type fake_type = {.name = "fake", .rx = fake_rx, .tx = fake_tx};

/* Frame i of the stream: 60..1500 bytes, its number in its first 4. */
static void make_burst(unsigned first, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t seq = first + i;
		fake_frames[i].data = fake_data[i];
		fake_frames[i].len = 60 + (seq * 37) % 1441;
		memset(fake_data[i], (int)(seq & 0xff), fake_frames[i].len);
		memcpy(fake_data[i], &seq, 4);
	}
	fake_n = n;
}

struct readback {
	unsigned frames, in, out;
	uint32_t next_seq;
	bool ordered;
};

/* Read a pcapng file back: count EPBs, check each against the stream. */
static void read_file(const char *path, uint32_t snaplen, struct readback *rb)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(64 << 20);
	size_t n = fread(buf, 1, 64 << 20, f);
	fclose(f);
	memset(rb, 0, sizeof(*rb));
	rb->ordered = true;
	for (size_t off = 0; off + 12 <= n;) {
		uint32_t type = get32(buf + off), len = get32(buf + off + 4);
		assert_true(len >= 12 && off + len <= n);
		assert_int_equal(get32(buf + off + len - 4), len);
		if (type == PBD_PCAPNG_EPB) {
			uint32_t cap = get32(buf + off + 20), orig = get32(buf + off + 24), seq;
			memcpy(&seq, buf + off + 28, 4);
			assert_int_equal(orig, 60 + (seq * 37) % 1441);
			assert_int_equal(cap, orig < snaplen ? orig : snaplen);
			uint16_t olen;
			const uint8_t *fl = option(buf + off + 28 + ((cap + 3) & ~3u),
						   buf + off + len - 4, 2, &olen);
			assert_non_null(fl);
			rb->in += get32(fl) == PBD_PCAPNG_FLAG_IN;
			rb->out += get32(fl) == PBD_PCAPNG_FLAG_OUT;
			if (get32(fl) == PBD_PCAPNG_FLAG_IN) {
				rb->ordered &= seq >= rb->next_seq; /* gaps: drops */
				rb->next_seq = seq + 1;
			}
			rb->frames++;
		}
		off += len;
	}
	free(buf);
}

static json_t *stop_one(struct pbd_panel *pn, unsigned id)
{
	json_t *out = json_array();
	assert_int_equal(pbd_capture_stop(pn, id, NULL, out), 1);
	json_t *c = json_incref(json_array_get(out, 0));
	json_decref(out);
	return c;
}

static void test_ring_to_file(void **state)
{
	static struct pbd_panel pn;
	static struct pbd_port port;
	struct pbd_capture_cfg cfg = {
	    .dir = PBD_CAP_RX | PBD_CAP_TX, .snaplen = 200, .buffer = 64 << 10};
	char path[] = "/tmp/test_capture.XXXXXX", err[512];
	unsigned id, sent_rx = 0, sent_tx = 0;

	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(port.name, sizeof(port.name), "fake:1");
	port.type = &fake_type;
	/* No worker: every sync is immediate, and this thread is the producer. */
	assert_int_equal(pbd_capture_start(&pn, &port, path, -1, &cfg, 0, &id, err, sizeof(err)),
			 0);
	assert_non_null(port.cap);
	for (unsigned b = 0; b < 4000; b++) {
		make_burst(sent_rx, PBD_BURST);
		struct pb_frame f[PBD_BURST];
		unsigned n = pbd_port_rx(&port, f, PBD_BURST);
		sent_rx += n;
		sent_tx += pbd_port_tx(&port, f, n);
		if (b % 8 == 0)
			usleep(100); /* let the writer keep up: a 64 KiB ring is small */
	}
	json_t *c = stop_one(&pn, id);
	assert_null(port.cap); /* the hook is off */
	uint64_t dropped = (uint64_t)json_integer_value(json_object_get(c, "dropped"));
	uint64_t frames = (uint64_t)json_integer_value(json_object_get(c, "frames"));
	assert_int_equal(frames + dropped, sent_rx + sent_tx);
	struct readback rb;
	read_file(path, 200, &rb);
	assert_int_equal(rb.frames, frames);
	assert_true(rb.ordered);
	if (!dropped) {
		assert_int_equal(rb.in, sent_rx);
		assert_int_equal(rb.out, sent_tx);
	}
	print_message("%u frames in (%u rx, %u tx), %llu dropped\n", rb.frames, rb.in, rb.out,
		      (unsigned long long)dropped);
	json_decref(c);

	/* count=: exactly that many, and the writer ends by itself. */
	cfg.count = 1000;
	cfg.dir = PBD_CAP_RX;
	cfg.buffer = 8 << 20;
	assert_int_equal(pbd_capture_start(&pn, &port, path, -1, &cfg, 0, &id, err, sizeof(err)),
			 0);
	for (unsigned b = 0; b < 100; b++) {
		make_burst(b * PBD_BURST, PBD_BURST);
		struct pb_frame f[PBD_BURST];
		pbd_port_rx(&port, f, PBD_BURST);
	}
	for (int i = 0; i < 200; i++) {
		json_t *l = pbd_capture_list(&pn);
		const char *st = json_string_value(json_object_get(json_array_get(l, 0), "state"));
		bool done = st && !strcmp(st, "done");
		json_decref(l);
		if (done)
			break;
		usleep(10000);
	}
	pbd_capture_reap(&pn); /* what the control loop does on the event fd */
	assert_null(port.cap);
	c = stop_one(&pn, id);
	assert_string_equal(json_string_value(json_object_get(c, "state")), "done");
	assert_int_equal(json_integer_value(json_object_get(c, "frames")), 1000);
	read_file(path, 200, &rb);
	assert_int_equal(rb.frames, 1000);
	assert_true(rb.ordered);
	json_decref(c);
	unlink(path);
	pbd_capture_fini(&pn);
}

static void test_reader_that_never_reads(void **state)
{
	static struct pbd_panel pn;
	static struct pbd_port port;
	struct pbd_capture_cfg cfg = {.dir = PBD_CAP_RX, .snaplen = 2048, .buffer = 64 << 10};
	char err[512];
	unsigned id, sent = 0;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	snprintf(port.name, sizeof(port.name), "fake:2");
	port.type = &fake_type;
	assert_int_equal(pbd_capture_start(&pn, &port, "-", p[1], &cfg, 0, &id, err, sizeof(err)),
			 0);
	for (unsigned b = 0; b < 2000; b++) {
		make_burst(sent, PBD_BURST);
		struct pb_frame f[PBD_BURST];
		sent += pbd_port_rx(&port, f, PBD_BURST);
	}
	json_t *c = stop_one(&pn, id); /* returns though the pipe is full */
	uint64_t dropped = (uint64_t)json_integer_value(json_object_get(c, "dropped"));
	uint64_t frames = (uint64_t)json_integer_value(json_object_get(c, "frames"));
	assert_true(dropped > 0);
	assert_int_equal(frames + dropped, sent);
	json_decref(c);
	close(p[0]);
	pbd_capture_fini(&pn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builder),
	    cmocka_unit_test(test_json_checks),
	    cmocka_unit_test(test_pcapng_blocks),
	    cmocka_unit_test(test_ring_to_file),
	    cmocka_unit_test(test_reader_that_never_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
