/* SPDX-License-Identifier: MIT */
/*
 * report.c - what pbgen prints: one line per second on stderr while running,
 * and one JSON summary line at the end (stdout, and --json FILE).
 *
 * The JSON is written by hand: a flat object of numbers and a few strings,
 * which needs only string escaping, not a library.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pbgen.h"

const char *pbgen_mode_name(enum pbgen_mode m)
{
	switch (m) {
	case PBGEN_TX:
		return "tx";
	case PBGEN_RX:
		return "rx";
	case PBGEN_ECHO:
		return "echo";
	case PBGEN_PING:
		return "ping";
	}
	return "?";
}

/*
 * Frames known to be lost: gaps in the received sequence numbers, plus, for
 * tx against an echo peer, the frames sent after the last one that came back
 * (a receiver alone cannot see losses at the tail). Ping counts its timeouts
 * in seq.lost directly.
 */
uint64_t pbgen_lost(const struct pbgen_run *r)
{
	uint64_t lost = r->seq.lost;

	if (r->o->mode == PBGEN_TX && r->c.frames_rx && r->c.frames_tx > r->seq.next)
		lost += r->c.frames_tx - r->seq.next;
	return lost;
}

static double rate(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0.0;
}

static void tick_ping(struct pbgen_run *r, double t, uint64_t dt)
{
	const struct pbgen_rtt *rtt = &r->rtt;
	uint64_t sum = 0, min = UINT64_MAX, max = 0;
	size_t n = rtt->n - r->tick.last_rtt_n;

	for (size_t i = r->tick.last_rtt_n; i < rtt->n; i++) {
		sum += rtt->ns[i];
		min = rtt->ns[i] < min ? rtt->ns[i] : min;
		max = rtt->ns[i] > max ? rtt->ns[i] : max;
	}
	if (n)
		fprintf(stderr,
			"[%5.1fs] ping %.0f/s rtt avg %.2f us min %.2f max %.2f | lost %" PRIu64
			" bad %" PRIu64 "\n",
			t, rate(n, dt), (double)sum / (double)n / 1e3, (double)min / 1e3,
			(double)max / 1e3, r->seq.lost, r->c.corrupted);
	else
		fprintf(stderr, "[%5.1fs] ping 0/s | lost %" PRIu64 " bad %" PRIu64 "\n", t,
			r->seq.lost, r->c.corrupted);
	r->tick.last_rtt_n = rtt->n;
}

/* The per-second line; rates are over the time since the previous line. */
void pbgen_report_tick(struct pbgen_run *r, uint64_t now)
{
	struct pbgen_ticker *tk = &r->tick;
	const struct pbgen_counters *c = &r->c;
	uint64_t dt = now - tk->last_ns;
	double t = (double)(now - r->t0) / 1e9;

	if (r->o->mode == PBGEN_PING) {
		tick_ping(r, t, dt);
	} else {
		fprintf(
		    stderr,
		    "[%5.1fs] tx %6.2f Mpps %6.2f Gbps | rx %6.2f Mpps %6.2f Gbps | lost %" PRIu64
		    " reord %" PRIu64 " bad %" PRIu64 "\n",
		    t, rate(c->frames_tx - tk->last.frames_tx, dt) / 1e6,
		    rate(c->bytes_tx - tk->last.bytes_tx, dt) * 8 / 1e9,
		    rate(c->frames_rx - tk->last.frames_rx, dt) / 1e6,
		    rate(c->bytes_rx - tk->last.bytes_rx, dt) * 8 / 1e9, r->seq.lost,
		    r->seq.reordered, c->corrupted);
	}
	tk->last = *c;
	tk->last_ns = now;
	/* Keep the lines on whole seconds; skip ahead if the loop stalled. */
	tk->next_ns += PBGEN_NS_PER_S;
	if (tk->next_ns <= now)
		tk->next_ns = now + PBGEN_NS_PER_S;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples, in µs. */
static double pct_us(const uint64_t *v, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100; /* ceil(n * pct / 100), 1-based */

	return (double)v[rank ? rank - 1 : 0] / 1e3;
}

static void json_rtt(FILE *f, struct pbgen_rtt *rtt)
{
	uint64_t sum = 0;

	fprintf(f, ",\"rtt_us\":{\"n\":%zu", rtt->n);
	if (rtt->n) {
		qsort(rtt->ns, rtt->n, sizeof(rtt->ns[0]), cmp_u64);
		for (size_t i = 0; i < rtt->n; i++)
			sum += rtt->ns[i];
		fprintf(f, ",\"min\":%.2f,\"median\":%.2f,\"p99\":%.2f,\"max\":%.2f,\"mean\":%.2f",
			(double)rtt->ns[0] / 1e3, pct_us(rtt->ns, rtt->n, 50),
			pct_us(rtt->ns, rtt->n, 99), (double)rtt->ns[rtt->n - 1] / 1e3,
			(double)sum / (double)rtt->n / 1e3);
	}
	fprintf(f, ",\"late\":%" PRIu64 "}", rtt->late);
}

static void json_port(FILE *f, const struct pbgen_run *r)
{
	struct pb_port_stats s = {0};

	if (r->port)
		pb_port_get_stats(r->port, &s);
	if (r->t0) /* the link came up: r->info is what it negotiated */
		fprintf(f,
			",\"link\":{\"role\":\"%s\",\"features\":\"0x%" PRIx64
			"\",\"queue_size\":%u,"
			"\"mtu\":%u}",
			r->info.role == PB_ROLE_DEVICE ? "device" : "driver", r->info.features,
			r->info.queue_size, r->info.mtu);
	/* Every counter of the library's list, in its order. */
	const char *sep = ",\"port\":{";
#define FIELD(field, doc)                                                                          \
	fprintf(f, "%s\"" #field "\":%" PRIu64, sep, s.field);                                     \
	sep = ",";
	PB_PORT_STATS_FIELDS(FIELD)
#undef FIELD
	fputc('}', f);
}

/*
 * The summary as one JSON line. "duration_s" is the active period of the
 * mode's own direction (first to last frame), so a sink started long before
 * its sender still reports the rate it received at; "mpps"/"gbps" are over
 * it: frames sent (tx, ping), received (rx) or echoed (echo).
 * Returns 0, or -1 if writing failed.
 */
int pbgen_report_summary(FILE *f, struct pbgen_run *r)
{
	const struct pbgen_counters *c = &r->c;
	uint64_t frames, bytes, ns;

	switch (r->o->mode) {
	case PBGEN_RX:
		frames = c->frames_rx;
		bytes = c->bytes_rx;
		ns = r->last_rx - r->first_rx;
		break;
	case PBGEN_ECHO:
		frames = c->frames_tx;
		bytes = c->bytes_tx;
		ns = r->last_rx - r->first_rx;
		break;
	default:
		frames = c->frames_tx;
		bytes = c->bytes_tx;
		ns = r->tx_end > r->first_tx && r->first_tx ? r->tx_end - r->first_tx : 0;
		break;
	}

	fprintf(f, "{\"mode\":\"%s\",\"spec\":", pbgen_mode_name(r->o->mode));
	json_str(f, r->o->spec);
	fprintf(f, ",\"size\":%u,\"end\":", r->o->size);
	json_str(f, r->end_reason ? r->end_reason : "");
	fprintf(f,
		",\"frames_tx\":%" PRIu64 ",\"bytes_tx\":%" PRIu64 ",\"frames_rx\":%" PRIu64
		",\"bytes_rx\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"reordered\":%" PRIu64
		",\"duplicates\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"foreign\":%" PRIu64
		",\"frames_own\":%" PRIu64 ",\"duration_s\":%.6f,\"mpps\":%.3f,\"gbps\":%.3f",
		c->frames_tx, c->bytes_tx, c->frames_rx, c->bytes_rx, pbgen_lost(r),
		r->seq.reordered, r->seq.duplicates, c->corrupted, c->foreign, c->frames_own,
		(double)ns / 1e9, rate(frames, ns) / 1e6, rate(bytes, ns) * 8 / 1e9);
	if (r->o->mode == PBGEN_PING)
		json_rtt(f, &r->rtt);
	json_port(f, r);
	fprintf(f, "}\n");
	return fflush(f) || ferror(f) ? -1 : 0;
}
