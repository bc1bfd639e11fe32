/* SPDX-License-Identifier: MIT */
/*
 * pbgen.h - shared declarations of pbgen, the traffic generator / sink /
 * echo / RTT probe built on libpatchbay's public port API only.
 *
 * The files split by concern: options.c parses the command line, frame.[ch]
 * builds and checks frames, seq.h tracks sequence numbers, report.c prints
 * the per-second lines and the JSON summary, run.c holds what every mode's
 * loop shares (clock, adaptive sleep, housekeeping), loops.c the tx and rx
 * loops, echo.c the reflector, ping.c the RTT probe and pbgen.c main().
 */
#ifndef PBGEN_H
#define PBGEN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <patchbay/patchbay.h>

#include "frame.h"
#include "seq.h"

#define PBGEN_NS_PER_S 1000000000ull

enum pbgen_mode {
	PBGEN_TX,
	PBGEN_RX,
	PBGEN_ECHO,
	PBGEN_PING,
};

/* Everything the command line sets; filled by pbgen_parse_options(). */
struct pbgen_opts {
	enum pbgen_mode mode;
	const char *spec;
	uint32_t size;	       /* frame size in bytes */
	double rate;	       /* frames (or pings) per second, 0 = unlimited */
	uint64_t count;	       /* stop after this many frames, 0 = no limit */
	double duration;       /* seconds, 0 = no limit */
	unsigned burst;	       /* frames per rx/tx burst call */
	double wait;	       /* seconds to wait for the peer */
	double idle_timeout;   /* seconds, 0 = none */
	const char *json_path; /* also write the summary here */
	int cpu;	       /* CPU to pin to, -1 = don't */
	uint32_t stream;       /* stream id sent; checked by rx if stream_set */
	bool stream_set;
	bool quiet;
	bool busy_poll;
	bool verify;  /* full content check (default) vs sequence number only */
	bool persist; /* a peer leaving does not end the run: wait for the next */
	int verbose;  /* raises the library's log level */
};

/* The counters every mode keeps; printed per second and in the summary. */
struct pbgen_counters {
	uint64_t frames_tx, bytes_tx;
	uint64_t frames_rx, bytes_rx; /* every frame received, own or foreign */
	uint64_t frames_own;	      /* of them, the receiver's own stream (intact or corrupted) */
	uint64_t corrupted;	      /* pbgen frames whose length, checksum or payload is wrong */
	uint64_t foreign;	      /* frames that are not pbgen frames (or of another stream) */
};

/* Round-trip samples of the ping mode, in ns. */
struct pbgen_rtt {
	uint64_t *ns;
	size_t n, cap;
	uint64_t late; /* replies that came after their ping timed out */
};

/* State of the per-second line: the previous line's counters and time. */
struct pbgen_ticker {
	uint64_t next_ns;
	uint64_t last_ns;
	struct pbgen_counters last;
	size_t last_rtt_n;
};

/* One run of one mode over one port. */
struct pbgen_run {
	const struct pbgen_opts *o;
	struct pb_port *port;
	struct pb_port_info info; /* as negotiated when the port came up */
	struct pbgen_counters c;
	struct pbgen_seq seq;
	struct pbgen_check check;
	struct pbgen_tx tx;
	struct pbgen_rtt rtt;
	struct pbgen_ticker tick;

	uint64_t t0;		    /* when the peer came up */
	uint64_t deadline;	    /* t0 + duration, or UINT64_MAX */
	uint64_t first_tx, last_tx; /* active sending period */
	uint64_t tx_end;	    /* when sending stopped */
	uint64_t first_rx, last_rx; /* active receiving period */
	uint64_t idle_since;	    /* 0 while busy */
	uint64_t next_house;	    /* next pbgen_housekeeping() due */
	const char *end_reason;	    /* why the loop stopped, for the log */
	bool peer_gone;		    /* the link went down during the run */
	bool down;		    /* --persist: the link is down, waiting for a peer */
	bool done;		    /* stop the loop */
};

/* Set by SIGINT/SIGTERM; every loop checks it once per iteration. */
extern volatile sig_atomic_t pbgen_stop;

/* options.c */
int pbgen_parse_options(int argc, char **argv, struct pbgen_opts *o);

/* run.c */
uint64_t pbgen_now(void);
int pbgen_wait_up(struct pbgen_run *r);
void pbgen_housekeeping(struct pbgen_run *r, uint64_t now);
void pbgen_idle(struct pbgen_run *r, uint64_t now, unsigned what);
void pbgen_sleep_until(struct pbgen_run *r, uint64_t now, uint64_t until);
void pbgen_settle(struct pbgen_run *r);
void pbgen_count_rx(struct pbgen_run *r, const struct pb_frame *f, unsigned n, uint64_t now);

/* Per iteration: the housekeeping (dispatch, per-second line, stop checks)
 * runs about once a millisecond, so the check for it must be cheap. */
static inline void pbgen_tick(struct pbgen_run *r, uint64_t now)
{
	if (pbgen_unlikely(now >= r->next_house))
		pbgen_housekeeping(r, now);
}

/* loops.c */
void pbgen_run_tx(struct pbgen_run *r);
void pbgen_run_rx(struct pbgen_run *r);
bool pbgen_idle_expired(struct pbgen_run *r, uint64_t now);

/* echo.c */
void pbgen_run_echo(struct pbgen_run *r);

/* ping.c */
void pbgen_run_ping(struct pbgen_run *r);
void pbgen_rtt_free(struct pbgen_rtt *rtt);

/* report.c */
void pbgen_report_tick(struct pbgen_run *r, uint64_t now);
int pbgen_report_summary(FILE *out, struct pbgen_run *r);
const char *pbgen_mode_name(enum pbgen_mode m);
uint64_t pbgen_lost(const struct pbgen_run *r);

#endif /* PBGEN_H */
