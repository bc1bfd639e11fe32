/* SPDX-License-Identifier: MIT */
/*
 * fe_merge_peer.c - the two ends of tests/interop/fe_mergeable.sh: frames
 * of many lengths sent on one "virtio:" port, through DPDK's testpmd (io
 * forwarding between two net_vhost ports, small mbufs), received on
 * another, each checked byte for byte.
 *
 *   fe_merge_peer TX_SPEC RX_SPEC COUNT LEN[,LEN...]
 *
 * Frame i has length LEN[i % n]; its bytes after the Ethernet header are a
 * function of i, so a frame that comes back cut, merged with another,
 * shifted or from a stale buffer is told apart from the right one. Frames
 * longer than the receiving port's largest frame (its mtu + 18) must not
 * come back: DPDK spreads them over several of the receiver's buffers
 * (num_buffers > 1, the gather path of lib/port/virtio_port.c), which drops
 * them and counts each in rx_dropped. The others must all arrive, in order,
 * intact.
 *
 * At most WINDOW frames are in flight, so nothing is lost for want of
 * room; "in flight" counts the oversized ones until the receiver has
 * counted their drop.
 *
 * Prints one line of results; exits 0 if every check held, 1 if one did
 * not (it says which), 2 on a usage or set-up error.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <patchbay/patchbay.h>

#define WINDOW	 32
#define MAX_LENS 64
#define MAX_LEN	 9018 /* the largest frame a port takes: MTU 9000 + 18 */
#define HDR	 22   /* dst, src, ethertype, then a u32 index, a u32 length */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint8_t pattern(uint32_t i, uint32_t off)
{
	uint32_t x = i * 2654435761u + off * 40503u;

	return (uint8_t)(x >> 13 ^ x);
}

static void build(uint8_t *f, uint32_t i, uint32_t len)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0xbb}, src[6] = {0x02, 0, 0, 0, 0, 0xaa};

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88; /* local experimental ethertype 0x88b5 */
	f[13] = 0xb5;
	memcpy(f + 14, &i, 4);
	memcpy(f + 18, &len, 4);
	for (uint32_t off = HDR; off < len; off++)
		f[off] = pattern(i, off);
}

static struct pb_port *open_up(const char *spec, uint64_t deadline)
{
	struct pb_port *p = pb_port_open(spec);

	if (!p) {
		fprintf(stderr, "fe_merge_peer: cannot open %s: %s\n", spec, strerror(errno));
		exit(2);
	}
	while (!pb_port_is_up(p)) {
		if (now_ms() > deadline) {
			fprintf(stderr, "fe_merge_peer: %s did not come up\n", spec);
			exit(2);
		}
		struct pollfd pfd = {.fd = pb_port_fd(p), .events = POLLIN};
		poll(&pfd, 1, 50);
		pb_port_dispatch(p);
	}
	return p;
}

/* The largest frame a port takes is its spec's MTU (1500 unless given)
 * + 18, whatever the back-end says (pb_port_info's MTU may be lower). */
static uint32_t max_frame_of(const char *spec)
{
	const char *m = strstr(spec, ",mtu=");

	return (m ? (uint32_t)strtoul(m + 5, NULL, 10) : 1500u) + 18;
}

int main(int argc, char **argv)
{
	uint32_t lens[MAX_LENS], nlens = 0;
	static uint8_t frame[MAX_LEN], want[MAX_LEN];

	if (argc != 5) {
		fprintf(stderr, "usage: fe_merge_peer TX_SPEC RX_SPEC COUNT LEN[,LEN...]\n");
		return 2;
	}
	uint32_t count = (uint32_t)strtoul(argv[3], NULL, 0);
	for (char *s = argv[4], *e; *s && nlens < MAX_LENS; s = *e ? e + 1 : e) {
		lens[nlens] = (uint32_t)strtoul(s, &e, 0);
		if (lens[nlens] < HDR || lens[nlens] > MAX_LEN || (*e && *e != ',')) {
			fprintf(stderr, "fe_merge_peer: bad length list %s\n", argv[4]);
			return 2;
		}
		nlens++;
	}
	if (!nlens || !count)
		return 2;

	uint64_t deadline = now_ms() + 20000;
	struct pb_port *tx = open_up(argv[1], deadline);
	struct pb_port *rx = open_up(argv[2], deadline);
	uint32_t rx_max = max_frame_of(argv[2]);
	struct pb_port_stats st0, st;
	pb_port_get_stats(rx, &st0);

	uint32_t sent = 0, expect_next = 0, got = 0, oversize = 0, bad = 0;
	uint64_t last_progress = now_ms();
	while (now_ms() - last_progress < 5000) {
		pb_port_get_stats(rx, &st);
		uint64_t dropped = st.rx_dropped - st0.rx_dropped;
		/* Oversized frames sent and not yet counted dropped are in
		 * flight too. */
		uint64_t inflight = (uint64_t)sent - got - dropped;
		if (sent == count && inflight == 0)
			break;
		if (sent < count && inflight < WINDOW) {
			uint32_t len = lens[sent % nlens];
			struct pb_frame f = {.data = frame, .len = len};
			build(frame, sent, len);
			if (pb_port_tx_burst(tx, &f, 1) == 1) {
				sent++;
				if (len > rx_max)
					oversize++;
			}
		}
		struct pb_frame in[32];
		unsigned n = pb_port_rx_burst(rx, in, 32);
		for (unsigned k = 0; k < n; k++) {
			uint32_t i, len;
			const uint8_t *p = in[k].data;
			got++;
			last_progress = now_ms();
			if (in[k].len < HDR) {
				fprintf(stderr, "frame of %u bytes: too short\n", in[k].len);
				bad++;
				continue;
			}
			memcpy(&i, p + 14, 4);
			memcpy(&len, p + 18, 4);
			/* The next frame that fits the receiver. */
			while (expect_next < sent && lens[expect_next % nlens] > rx_max)
				expect_next++;
			if (i != expect_next || len != lens[i % nlens] || in[k].len != len) {
				fprintf(stderr,
					"frame %u: got index %u, length %u (header says %u), "
					"expected index %u\n",
					got - 1, i, in[k].len, len, expect_next);
				bad++;
				expect_next = i + 1;
				continue;
			}
			build(want, i, len);
			if (memcmp(p, want, len) != 0) {
				uint32_t off = 0;
				while (p[off] == want[off])
					off++;
				fprintf(stderr, "frame %u (%u bytes): corrupt from byte %u\n", i,
					len, off);
				bad++;
			}
			expect_next = i + 1;
		}
		if (n == 0 && (sent == count || inflight >= WINDOW)) {
			/* Waiting for the peer: sleep on the port. */
			if (pb_port_prepare_sleep(rx, PB_WAIT_RX) == 0) {
				struct pollfd pfd = {.fd = pb_port_fd(rx), .events = POLLIN};
				poll(&pfd, 1, 10);
			}
			pb_port_dispatch(rx);
			pb_port_dispatch(tx);
		}
		if (!pb_port_is_up(tx) || !pb_port_is_up(rx)) {
			fprintf(stderr, "fe_merge_peer: a link went down\n");
			break;
		}
		if (sent < count && inflight < WINDOW)
			last_progress = now_ms(); /* sending is progress too */
	}

	pb_port_get_stats(rx, &st);
	uint64_t dropped = st.rx_dropped - st0.rx_dropped;
	uint32_t fit = sent - oversize;
	struct pb_port_stats tst;
	pb_port_get_stats(tx, &tst);
	struct pb_port_info info;
	pb_port_get_info(rx, &info);
	printf("sent %u (%u larger than the receiver's %u-byte frames), received %u, "
	       "rx_dropped %llu, bad %u, tx_dropped %llu, rx peer_errors %llu, "
	       "rx features 0x%llx\n",
	       sent, oversize, rx_max, got, (unsigned long long)dropped, bad,
	       (unsigned long long)tst.tx_dropped, (unsigned long long)st.peer_errors,
	       (unsigned long long)info.features);
	int rc = 0;
	if (sent != count) {
		fprintf(stderr, "FAIL: sent %u of %u\n", sent, count);
		rc = 1;
	}
	if (got != fit) {
		fprintf(stderr, "FAIL: received %u frames, expected %u\n", got, fit);
		rc = 1;
	}
	if (dropped != oversize) {
		fprintf(stderr, "FAIL: the receiver dropped %llu frames, expected %u\n",
			(unsigned long long)dropped, oversize);
		rc = 1;
	}
	if (bad || st.peer_errors || tst.tx_dropped) {
		fprintf(stderr, "FAIL: %u bad frames, %llu peer errors, %llu tx drops\n", bad,
			(unsigned long long)st.peer_errors, (unsigned long long)tst.tx_dropped);
		rc = 1;
	}
	pb_port_close(tx);
	pb_port_close(rx);
	return rc;
}
