/* SPDX-License-Identifier: MIT */
/*
 * inbox.c - how a port changes hands between threads. The giver stops using
 * the port, then pushes it into the receiver's inbox; the mutex orders
 * everything the giver wrote before everything the receiver reads. The
 * receiver looks at an atomic count each loop and takes the lock only when
 * it is not zero, so an idle inbox costs one load.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/panel.h"

int pbd_inbox_init(struct pbd_inbox *ib)
{
	ib->head = ib->tail = NULL;
	ib->count = 0;
	ib->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ib->efd < 0)
		return -errno;
	pthread_mutex_init(&ib->mu, NULL);
	return 0;
}

void pbd_inbox_fini(struct pbd_inbox *ib)
{
	if (ib->efd >= 0)
		close(ib->efd);
	ib->efd = -1;
	pthread_mutex_destroy(&ib->mu);
}

void pbd_inbox_wake(struct pbd_inbox *ib)
{
	uint64_t one = 1;

	if (write(ib->efd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the owner is awake anyway */
	}
}

void pbd_inbox_push(struct pbd_inbox *ib, struct pbd_port *p)
{
	pthread_mutex_lock(&ib->mu);
	p->next_in_inbox = NULL;
	if (ib->tail)
		ib->tail->next_in_inbox = p;
	else
		ib->head = p;
	ib->tail = p;
	__atomic_add_fetch(&ib->count, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ib->mu);
	pbd_inbox_wake(ib);
}

struct pbd_port *pbd_inbox_take(struct pbd_inbox *ib)
{
	struct pbd_port *list;
	uint64_t v;

	if (read(ib->efd, &v, sizeof(v)) < 0) {
		/* nothing to drain */
	}
	if (!__atomic_load_n(&ib->count, __ATOMIC_ACQUIRE))
		return NULL;
	pthread_mutex_lock(&ib->mu);
	list = ib->head;
	ib->head = ib->tail = NULL;
	__atomic_store_n(&ib->count, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&ib->mu);
	return list;
}

void pbd_owner_add(struct pbd_owner *o, struct pbd_port *p)
{
	o->port[o->n++] = p; /* the panel never has more than PBD_MAX_PORTS */
}

void pbd_owner_remove(struct pbd_owner *o, unsigned i)
{
	o->port[i] = o->port[--o->n];
}

void pbd_handoff(struct pbd_panel *pn, struct pbd_port *p, bool up)
{
	int w = PBD_PEEK(p->assigned);

	PBD_SET(p->home, PBD_HOME_NONE);
	if (!up || PBD_PEEK(p->deleting) || PBD_LOAD(pn->stopping) || w < 0 ||
	    (unsigned)w >= pn->nworkers)
		pbd_inbox_push(&pn->link.inbox, p);
	else
		pbd_inbox_push(&pn->workers[w].inbox, p);
}
