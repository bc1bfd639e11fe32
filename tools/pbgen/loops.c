/* SPDX-License-Identifier: MIT */
/*
 * loops.c - the tx and rx loops (echo.c and ping.c hold the other two).
 *
 * Each iteration reads the clock once, moves up to one burst, and leaves the
 * rest to pbgen_tick() (housekeeping about once a millisecond) and
 * pbgen_idle() (adaptive sleep). Nothing in an iteration allocates or makes
 * a system call unless the port is idle.
 */
#include "pbgen.h"

/* How long tx keeps the port open after its last frame when nothing comes
 * back: closing right away would drop the frames still in the ring. */
#define PBGEN_LINGER_NS 200000000ull

static unsigned min_u(uint64_t a, uint64_t b)
{
	return (unsigned)(a < b ? a : b);
}

/*
 * After the last frame is sent: drain what comes back (from an echo peer)
 * until every frame has returned or nothing came for the idle timeout, and
 * give the peer PBGEN_LINGER_NS to take our last frames before the close.
 */
static void tx_linger(struct pbgen_run *r, struct pb_frame *in)
{
	uint64_t idle_ns =
	    (uint64_t)((r->o->idle_timeout > 0 ? r->o->idle_timeout : 2.0) * PBGEN_NS_PER_S);
	uint64_t start = pbgen_now();

	r->idle_since = 0;
	while (!pbgen_stop && pb_port_is_up(r->port)) {
		uint64_t now = pbgen_now();
		unsigned n = pb_port_rx_burst(r->port, in, r->o->burst);

		if (n) {
			pbgen_count_rx(r, in, n, now);
			r->idle_since = 0;
		} else {
			pbgen_idle(r, now, PB_WAIT_RX);
		}
		if (r->c.frames_rx >= r->c.frames_tx)
			break;
		if (r->c.frames_rx ? now - r->last_rx > idle_ns : now - start > PBGEN_LINGER_NS)
			break;
		pbgen_tick(r, now);
	}
}

/*
 * tx: send frames with sequence numbers 0, 1, 2, ... as fast as the ring
 * takes them or at --rate, and count (and verify) whatever comes back, so
 * that tx against an echo peer is a complete loopback test.
 */
void pbgen_run_tx(struct pbgen_run *r)
{
	const struct pbgen_opts *o = r->o;
	struct pb_frame out[PBGEN_MAX_BURST], in[PBGEN_MAX_BURST];
	uint64_t seq = 0, built = 0, now = pbgen_now(); /* built: frames < built are stamped */
	uint64_t start = now;

	r->first_tx = now;
	while (!r->done) {
		unsigned want = o->burst, sent = 0, got;

		now = pbgen_now();
		if (o->count)
			want = min_u(want, o->count - seq);
		if (o->rate > 0) {
			/* Frames due by now, the first one at start. */
			uint64_t due = (uint64_t)((double)(now - start) * o->rate / 1e9) + 1;

			want = due > seq ? min_u(want, due - seq) : 0;
			if (!want)
				pbgen_sleep_until(r, now,
						  start + (uint64_t)((double)seq * 1e9 / o->rate));
		}
		if (want) {
			/* One clock read stamps the whole burst. Frames stamped
			 * on an earlier try that found the ring full keep their
			 * stamp (the time they were first offered), which also
			 * keeps a full ring from costing a rewrite per spin. */
			for (uint64_t s = built > seq ? built : seq; s < seq + want; s++)
				pbgen_tx_frame(&r->tx, s, now);
			if (built < seq + want)
				built = seq + want;
			for (unsigned i = 0; i < want; i++) {
				out[i].data = pbgen_tx_slot(&r->tx, seq + i);
				out[i].len = r->tx.size;
			}
			sent = pb_port_tx_burst(r->port, out, want);
			seq += sent;
			r->c.frames_tx += sent;
			r->c.bytes_tx += (uint64_t)sent * r->tx.size;
		}
		got = pb_port_rx_burst(r->port, in, o->burst);
		if (got)
			pbgen_count_rx(r, in, got, now);

		if (sent || got)
			r->idle_since = 0;
		else if (want)
			pbgen_idle(r, now, PB_WAIT_TX | PB_WAIT_RX); /* ring full */

		if (o->count && seq >= o->count) {
			r->done = true;
			r->end_reason = "count";
		}
		pbgen_tick(r, now);
	}
	r->last_tx = now;
	r->tx_end = pbgen_now();
	if (!r->peer_gone && !pbgen_stop)
		tx_linger(r, in);
}

/* True once an rx/echo run has been idle for --idle-timeout after its first frame. */
bool pbgen_idle_expired(struct pbgen_run *r, uint64_t now)
{
	return r->o->idle_timeout > 0 && r->first_rx &&
	       now - r->last_rx > (uint64_t)(r->o->idle_timeout * PBGEN_NS_PER_S);
}

/*
 * rx: receive, verify and account frames until a stop condition. -n counts
 * the receiver's own stream only: another sender's frames on the same port
 * (another --stream, or not pbgen's at all) are counted as foreign and do
 * not bring the end closer. A burst never asks for more than the own frames
 * still due, so the run cannot read past the count even if every frame of
 * it is ours.
 */
void pbgen_run_rx(struct pbgen_run *r)
{
	const struct pbgen_opts *o = r->o;
	struct pb_frame in[PBGEN_MAX_BURST];

	while (!r->done) {
		uint64_t now = pbgen_now();
		unsigned want = o->burst, got;

		if (o->count)
			want = min_u(want, o->count - r->c.frames_own);
		got = pb_port_rx_burst(r->port, in, want);
		if (got) {
			pbgen_count_rx(r, in, got, now);
			r->idle_since = 0;
		} else {
			pbgen_idle(r, now, PB_WAIT_RX);
		}
		if (o->count && r->c.frames_own >= o->count) {
			r->done = true;
			r->end_reason = "count";
		} else if (pbgen_idle_expired(r, now)) {
			r->done = true;
			r->end_reason = "idle timeout";
		}
		pbgen_tick(r, now);
	}
}
