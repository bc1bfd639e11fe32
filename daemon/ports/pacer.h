/* SPDX-License-Identifier: MIT */
/*
 * pacer.h - the rate of a port that makes frames by itself (pcap rx=,
 * null size=): how many frames are due now, and a timerfd armed for the
 * next one so that the worker can sleep in between instead of spinning on
 * the clock. Shared by port_null.c and port_pcap.c.
 */
#ifndef PBD_PACER_H
#define PBD_PACER_H

#include <stdint.h>

struct pbd_pacer {
	uint64_t rate;	   /* frames per second; 0: unpaced */
	uint64_t start_ns; /* the first frame's time; 0: none yet */
	uint64_t done;	   /* frames made since start_ns */
	int timerfd;	   /* armed for the next frame; -1 when unpaced */
};

/* Returns 0 or -errno (the timerfd). */
int pbd_pacer_init(struct pbd_pacer *p, uint64_t rate);
void pbd_pacer_fini(struct pbd_pacer *p);
/* Frames due now under the rate, at most @max (unpaced: @max). */
unsigned pbd_pacer_due(struct pbd_pacer *p, unsigned max);
/* Count @n frames made. */
void pbd_pacer_made(struct pbd_pacer *p, unsigned n);
/* Before the worker sleeps: 1 if a frame is due now, else 0 with the timer
 * armed for the next one. */
int pbd_pacer_arm(struct pbd_pacer *p);
/* The timer fired: read it (the worker's dispatch). */
void pbd_pacer_drain(struct pbd_pacer *p);

#endif /* PBD_PACER_H */
