/* SPDX-License-Identifier: MIT */
/*
 * fault.c - the SIGBUS handler (see fault.h). Everything it does is
 * async-signal-safe: it reads the faulting thread's own table of ports,
 * which that thread changes only outside port calls (and a fault happens
 * only inside one), asks pb_port_maps(), and calls mmap().
 */
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "core/fault.h"

static __thread struct pbd_owner *thread_owner;

static void on_sigbus(int sig, siginfo_t *si, void *uctx)
{
	struct pbd_owner *o = thread_owner;

	(void)uctx;
	if (o) {
		for (unsigned i = 0; i < o->n; i++) {
			struct pbd_port *p = o->port[i];
			if (p->type->maps && p->type->maps(p, si->si_addr) &&
			    pb_fault_patch(si->si_addr) == 0) {
				p->fault_pending = true;
				o->fault = true;
				return; /* the access is retried, on a zero page */
			}
		}
	}
	/* Not a peer's memory: a bug of ours. Die of it, with a core. */
	signal(sig, SIG_DFL);
}

int pbd_fault_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL);
}

void pbd_fault_thread_init(struct pbd_owner *own)
{
	thread_owner = own;
}
