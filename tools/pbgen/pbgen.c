/* SPDX-License-Identifier: MIT */
/*
 * pbgen.c - main(): set up, open the port, wait for the peer, run the mode,
 * print the summary and turn the outcome into an exit status.
 *
 * Exit status: 0 success; 1 the port could not be opened, the peer never came
 * up, fewer than -n frames made it, frames were lost or corrupted where that
 * is checkable; 2 a usage error (including a malformed SPEC).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "pbgen.h"

static void on_signal(int sig)
{
	(void)sig;
	pbgen_stop = 1;
}

/* No SA_RESTART: a signal must cut a poll() short so the loop can stop. */
static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a peer that vanishes must not kill us */
}

__attribute__((format(printf, 2, 0))) static void log_hook(enum pb_log_level level, const char *fmt,
							   va_list ap)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	fprintf(stderr, "pbgen: patchbay %s: ", level <= PB_LOG_DEBUG ? names[level] : "?");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "pbgen: cannot pin to CPU %d: %s\n", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

/* What made a frame foreign, for the line that reports them. */
static const char *foreign_what(const struct pbgen_run *r)
{
	static char buf[64];

	if (r->check.any_stream)
		return "not pbgen frames";
	snprintf(buf, sizeof(buf), "not pbgen frames of stream %" PRIu32, r->check.stream);
	return buf;
}

/* The exit status a finished run earned; says why on stderr when it is 1. */
static int outcome(const struct pbgen_run *r)
{
	const struct pbgen_opts *o = r->o;
	uint64_t done = o->mode == PBGEN_RX ? r->c.frames_own : r->c.frames_tx;
	uint64_t lost = pbgen_lost(r);

	/* Said whatever the outcome: frames of another sender on the port
	 * explain a count that frames_rx alone would not. */
	if (r->c.foreign)
		fprintf(stderr,
			"pbgen: %" PRIu64 " foreign frames (%s) counted apart, %" PRIu64 " own\n",
			r->c.foreign, foreign_what(r), r->c.frames_own);
	if (r->c.corrupted) {
		fprintf(stderr, "pbgen: %" PRIu64 " corrupted frames\n", r->c.corrupted);
		return 1;
	}
	if (o->count && done < o->count) {
		fprintf(stderr, "pbgen: only %" PRIu64 " of %" PRIu64 " frames (%s)\n", done,
			o->count, r->end_reason ? r->end_reason : "stopped");
		return 1;
	}
	/* Losses are only known where sequence numbers come back. */
	if (lost && (o->mode == PBGEN_PING || (o->mode == PBGEN_TX && r->c.frames_rx) ||
		     (o->mode == PBGEN_RX && o->count))) {
		fprintf(stderr, "pbgen: %" PRIu64 " frames lost\n", lost);
		return 1;
	}
	if (o->mode == PBGEN_TX && r->peer_gone) {
		fprintf(stderr, "pbgen: the peer went away while sending\n");
		return 1;
	}
	return 0;
}

static void summarize(struct pbgen_run *r)
{
	pbgen_report_summary(stdout, r);
	if (r->o->json_path) {
		FILE *f = fopen(r->o->json_path, "w");

		if (!f || pbgen_report_summary(f, r) || fclose(f))
			fprintf(stderr, "pbgen: cannot write %s: %s\n", r->o->json_path,
				strerror(errno));
	}
}

/* The mode's setup beyond the port: prebuilt frames and what rx accepts. */
static int prepare(struct pbgen_run *r)
{
	const struct pbgen_opts *o = r->o;

	pbgen_pattern_init();
	/* rx accepts any stream unless told one; tx and ping check their own. */
	pbgen_check_init(&r->check, o->verify, o->mode == PBGEN_RX && !o->stream_set, o->stream);
	if (o->mode == PBGEN_TX || o->mode == PBGEN_PING) {
		uint16_t flags = o->mode == PBGEN_PING ? PBGEN_F_PING : 0;

		if (pbgen_tx_init(&r->tx, o->size, o->stream, flags)) {
			fprintf(stderr, "pbgen: out of memory\n");
			return -1;
		}
	}
	return 0;
}

/*
 * Frames longer than the link's MTU plus an Ethernet and a VLAN header are
 * dropped by the port (or by its peer), so a run with them would only count
 * drops: refuse it, saying which option fixes it.
 */
static int check_mtu(const struct pbgen_run *r)
{
	uint32_t max = (uint32_t)r->info.mtu + 18u;

	if ((r->o->mode != PBGEN_TX && r->o->mode != PBGEN_PING) || r->o->size <= max)
		return 0;
	fprintf(stderr,
		"pbgen: %u-byte frames do not fit this link (MTU %u: at most %u bytes); "
		"add mtu=%u to the SPEC of both ends\n",
		r->o->size, r->info.mtu, max, r->o->size - 18 < 68 ? 68 : r->o->size - 18);
	return -1;
}

static void run_mode(struct pbgen_run *r)
{
	switch (r->o->mode) {
	case PBGEN_TX:
		pbgen_run_tx(r);
		break;
	case PBGEN_RX:
		pbgen_run_rx(r);
		break;
	case PBGEN_ECHO:
		pbgen_run_echo(r);
		break;
	case PBGEN_PING:
		pbgen_run_ping(r);
		break;
	}
}

int main(int argc, char **argv)
{
	static struct pbgen_run run; /* large (the sequence bitmap): not on the stack */
	struct pbgen_run *r = &run;
	struct pbgen_opts o;
	char buf[128];
	int rc;

	rc = pbgen_parse_options(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	r->o = &o;
	r->deadline = UINT64_MAX;

	pb_set_log(log_hook, (enum pb_log_level)(PB_LOG_WARN + (o.verbose > 2 ? 2 : o.verbose)));
	install_signals();
	if (o.cpu >= 0 && pin_cpu(o.cpu))
		return 1;
	if (prepare(r))
		return 1;

	r->port = pb_port_open(o.spec);
	if (!r->port) {
		int err = errno;

		fprintf(stderr, "pbgen: cannot open '%s': %s\n", o.spec,
			pb_strerror(err, buf, sizeof(buf)));
		return err == EINVAL ? 2 : 1;
	}

	if (!o.quiet)
		fprintf(stderr, "pbgen: %s on %s, waiting up to %gs for the peer\n",
			pbgen_mode_name(o.mode), o.spec, o.wait);
	rc = pbgen_wait_up(r);
	if (rc) {
		if (rc == -ETIMEDOUT)
			fprintf(stderr, "pbgen: the peer never came up on %s within %gs\n", o.spec,
				o.wait);
		r->end_reason = rc == -ETIMEDOUT ? "peer never came up" : "stopped before up";
		summarize(r);
		pb_port_close(r->port);
		return 1;
	}
	if (check_mtu(r)) {
		r->end_reason = "frames larger than the MTU";
		summarize(r);
		pb_port_close(r->port);
		return 1;
	}

	r->t0 = pbgen_now();
	if (o.duration > 0)
		r->deadline = r->t0 + (uint64_t)(o.duration * PBGEN_NS_PER_S);
	r->tick.last_ns = r->t0;
	r->tick.next_ns = r->t0 + PBGEN_NS_PER_S;
	r->next_house = r->t0;

	run_mode(r);

	if (r->peer_gone)
		pbgen_settle(r);
	summarize(r);
	rc = outcome(r);
	pb_port_close(r->port);
	pbgen_tx_free(&r->tx);
	pbgen_rtt_free(&r->rtt);
	return rc;
}
