/* SPDX-License-Identifier: MIT */
/*
 * fwd.h - the loop of a two-port network function (l2fwd, firewall): every
 * frame that arrives on one port leaves by the other, through a hook that
 * may rewrite or drop it.
 *
 * It polls while frames flow and sleeps on both ports' fds when idle, as
 * every patchbay app should. A frame the other side has no room for is held
 * (the sender sees backpressure, nothing is lost) for up to FWD_HOLD_MS,
 * then dropped, as a NIC would drop it.
 */
#ifndef EXAMPLES_FWD_H
#define EXAMPLES_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include <patchbay/patchbay.h>

#define FWD_BURST     32
#define FWD_MAX_FRAME 9238 /* jumbo: 9216 + Ethernet header + VLAN tag + room */
#define FWD_HOLD_MS   100

/* Called once per burst arriving on port @in (0 or 1), before it leaves by
 * the other port: the place for per-burst work (reading the output port's
 * MAC, say) and then a pass over the frames. Each frame points at a private
 * copy when the function asked for one (fwd.copy), which it may then
 * rewrite in place. It keeps the frames to send at the front of @f, in
 * order, and returns how many; the rest count as filtered. */
typedef unsigned (*fwd_hook)(void *ctx, int in, struct pb_frame *f, unsigned n);

struct fwd_dir_stats {
	uint64_t forwarded; /* frames that left by the other port */
	uint64_t filtered;  /* dropped by the hook */
	uint64_t dropped;   /* no room, or the other port down, for FWD_HOLD_MS */
};

struct fwd {
	struct pb_port *port[2];
	fwd_hook hook; /* NULL: forward everything */
	void *ctx;
	bool copy;		       /* the hook rewrites frames: give it private copies */
	struct fwd_dir_stats stats[2]; /* by input port */
};

/* Run until *stop becomes nonzero; both ports must be open. */
int fwd_run(struct fwd *fw, volatile int *stop);

/* Parse "xx:xx:xx:xx:xx:xx"; 0 or -1. */
int fwd_parse_mac(const char *s, uint8_t mac[6]);

#endif /* EXAMPLES_FWD_H */
