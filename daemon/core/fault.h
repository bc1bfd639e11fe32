/* SPDX-License-Identifier: MIT */
/*
 * fault.h - surviving a peer that pulls its memory from under us. A
 * front-end that truncates the file behind a mapping makes our next access
 * to it raise SIGBUS. The handler asks each port the faulting thread owns
 * whether the address is in memory its peer controls (pb_port_maps());
 * if one says yes it maps a zero page over the faulting page
 * (pb_fault_patch()) so the access completes, and flags the port; the thread
 * then drops that port's peer at its next check. A fault in anything else is
 * a real bug: the default action runs (the process dies with a core).
 */
#ifndef PBD_FAULT_H
#define PBD_FAULT_H

#include "core/panel.h"

/* Install the process's SIGBUS handler (once, from main). */
int pbd_fault_install(void);
/* Tell the handler which ports the calling thread owns. */
void pbd_fault_thread_init(struct pbd_owner *own);

#endif /* PBD_FAULT_H */
