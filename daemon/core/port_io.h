/* SPDX-License-Identifier: MIT */
/*
 * port_io.h - a port's rx and tx as the worker calls them: the type's op,
 * then what hangs off the port, each an immutable list read RCU-style
 * (published by the control thread, freed after pbd_panel_sync()): its
 * captures (core/capture.h) and the mirrors it is a source of
 * (core/mirror.h). With neither, that is two pointer loads per burst and
 * two branches never taken.
 */
#ifndef PBD_PORT_IO_H
#define PBD_PORT_IO_H

#include "core/capture.h"
#include "core/mirror.h"

static inline unsigned pbd_port_rx(struct pbd_port *p, struct pb_frame *f, unsigned n)
{
	unsigned got = p->type->rx(p, f, n);
	const struct pbd_capset *s = PBD_LOAD(p->cap);
	const struct pbd_mirset *m = PBD_LOAD(p->mir);

	if (__builtin_expect(s != NULL, 0) && got)
		pbd_capture_burst(s, PBD_CAP_RX, f, got);
	if (__builtin_expect(m != NULL, 0) && got)
		pbd_mirror_burst(p, m, PBD_CAP_RX, f, got);
	return got;
}

static inline unsigned pbd_port_tx(struct pbd_port *p, const struct pb_frame *f, unsigned n)
{
	unsigned sent = p->type->tx(p, f, n);
	const struct pbd_capset *s = PBD_LOAD(p->cap);
	const struct pbd_mirset *m = PBD_LOAD(p->mir);

	if (__builtin_expect(s != NULL, 0) && sent)
		pbd_capture_burst(s, PBD_CAP_TX, f, sent);
	if (__builtin_expect(m != NULL, 0) && sent)
		pbd_mirror_burst(p, m, PBD_CAP_TX, f, sent);
	return sent;
}

#endif /* PBD_PORT_IO_H */
