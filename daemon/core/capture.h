/* SPDX-License-Identifier: MIT */
/*
 * capture.h - capture of any port to pcapng, at the rate the port runs.
 *
 * The data path. A port's captures hang off it as an immutable list
 * (struct pbd_capset, p->cap), replaced whole by the control thread and
 * freed after every worker has passed a quiescent point, as patches are
 * (panel.h). The worker calls a port's rx and tx through pbd_port_rx() and
 * pbd_port_tx() (core/port_io.h): with no capture on, that is one pointer load per
 * burst and one branch that is never taken. With one, the frames the port
 * received (after its rx op) or sent (those its tx op accepted) are copied,
 * cut to the snaplen, into the capture's ring: a byte ring with one
 * producer, the worker that owns the port (rx and tx of a port are both run
 * by its owner, and a port changes owner only through an inbox, whose mutex
 * orders one owner's writes before the next one's), and one consumer, the
 * capture's writer thread, which turns the records into pcapng blocks and
 * writes them out. The worker never waits for the writer: a frame that does
 * not fit is dropped and counted (shown as `dropped`), and the writer is
 * woken through an eventfd only when it said it sleeps (one load per burst;
 * a store-load fence on both sides so neither misses the other).
 *
 * The control side (capture.c): start opens the file (or takes the fd a
 * client passed), starts the writer, then publishes the hook; stop removes
 * the hook RCU-style, lets the writer drain the ring, close its file and
 * leave, and joins it. A capture that ends by itself (count reached, a
 * write that failed, the reader of a pipe gone) tells the control loop
 * through an eventfd (pbd_capture_event_fd()), which reaps it the same
 * way. Ended captures stay listed (state, figures, error) until `capture
 * stop` or the end of the control connection they were started on.
 */
#ifndef PBD_CAPTURE_H
#define PBD_CAPTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/panel.h"
#include "core/port.h"

#define PBD_CAP_RX 1u /* the values of common/capture_opts.h's enum */
#define PBD_CAP_TX 2u

/* What a capture writes: checked by the caller (common/capture_opts.c). */
struct pbd_capture_cfg {
	unsigned dir;	     /* PBD_CAP_RX | PBD_CAP_TX */
	uint64_t count;	     /* frames, 0: until stopped */
	uint32_t snaplen;    /* bytes kept of each frame */
	uint64_t ring_size;  /* 0: one file; else bytes per file... */
	uint32_t ring_files; /* ...rotating over FILE.0 .. FILE.<n-1> */
	uint64_t buffer;     /* bytes of the ring to the writer */
};

struct pbd_capture;

/* The captures of one port: immutable, replaced whole (RCU-style). */
struct pbd_capset {
	unsigned n;
	struct pbd_capture *c[];
};

/* The worker's side: copy what fits of @n frames into each capture of @s
 * that takes direction @dir. Never blocks. */
void pbd_capture_burst(const struct pbd_capset *s, unsigned dir, const struct pb_frame *f,
		       unsigned n);

/* The control thread's side. */

#define PBD_CAPTURE_MAX	     64 /* listed at once, running or ended */
#define PBD_CAPTURE_PER_PORT 4

/* Start capturing @p. @fd >= 0: write to it (taken: closed on failure
 * too), @file is only shown; else open @file (FILE.0 with a ring). @conn:
 * the control connection it ends with (0: none). On success *@id is the
 * capture's id; on failure @err says why and nothing was started. Returns
 * 0, -EINVAL (a bad request: @err), -EBUSY (too many), or -errno of the
 * file. */
int pbd_capture_start(struct pbd_panel *pn, struct pbd_port *p, const char *file, int fd,
		      const struct pbd_capture_cfg *cfg, uint64_t conn, unsigned *id, char *err,
		      size_t errlen);

/* Every capture listed, as JSON objects (docs/CONTROL.md). */
json_t *pbd_capture_list(struct pbd_panel *pn);

/* Stop and remove capture @id (0: by port), or those of port @port (NULL
 * with @id 0: every capture). Their last figures are appended to @out.
 * Returns how many. */
unsigned pbd_capture_stop(struct pbd_panel *pn, unsigned id, const struct pbd_port *port,
			  json_t *out);

/* The control connection @conn closed: its captures stop and go. */
void pbd_capture_conn_closed(struct pbd_panel *pn, uint64_t conn);
/* @p is being deleted: its captures stop (listed as ended, "port deleted"). */
void pbd_capture_port_gone(struct pbd_panel *pn, struct pbd_port *p);

/* Readable when a capture ended by itself: then call pbd_capture_reap().
 * -1 before the first capture (the registry is made on first use, or by
 * pbd_capture_init()). */
int pbd_capture_init(struct pbd_panel *pn);
int pbd_capture_event_fd(struct pbd_panel *pn);
void pbd_capture_reap(struct pbd_panel *pn);
/* At shutdown, before pbd_panel_stop(): stop and free every capture. */
void pbd_capture_fini(struct pbd_panel *pn);

#endif /* PBD_CAPTURE_H */
