/* SPDX-License-Identifier: MIT */
/*
 * link.c - the link thread: owner of every port that is down, and the only
 * thread that closes ports. Here a vhost: port waits for its front-end and
 * runs the handshake, and a virtio: port connects to its device and runs the
 * set-up, which waits for each reply: slow work that must never run on a
 * worker. A port that comes up goes to its worker; a worker sends back a
 * port that went down, or that is being deleted.
 *
 * A port whose dispatch may wait for its peer (slow_dispatch: a virtio:
 * port's set-up waits up to 2 s for each reply, 5 s in all) is dispatched
 * on a short-lived thread of its own for each attempt, so that one silent
 * device never holds up the handshakes of the other down ports. While an
 * attempt runs, that thread is the port's only user: the link thread takes
 * the port's fd out of its epoll set and does not touch the port until the
 * attempt says it is done (an atomic flag, then a wake-up of the inbox).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "core/fault.h"
#include "core/log.h"
#include "core/panel.h"

#define LINK_TICK_MS  200	    /* loop at least this often */
#define REDISPATCH_NS 1000000000ull /* dispatch every down port this often */

static void close_port(struct pbd_panel *pn, struct pbd_port *p)
{
	LOGD("link", "closing %s", p->name);
	p->type->close(p);
	pthread_mutex_lock(&pn->closed_mu);
	PBD_STORE(p->home, PBD_HOME_CLOSED);
	pthread_cond_broadcast(&pn->closed_cv);
	pthread_mutex_unlock(&pn->closed_mu);
}

static void drop_faulted(struct pbd_owner *own)
{
	own->fault = false;
	for (unsigned i = 0; i < own->n; i++) {
		struct pbd_port *p = own->port[i];
		if (p->fault_pending && p->type->drop_peer) {
			p->fault_pending = false;
			p->ctr.faults++;
			p->type->drop_peer(p, "memory fault (SIGBUS) on the peer's memory");
		}
	}
}

static void set_watch(struct pbd_link *l, struct pbd_port *p, bool on)
{
	int fd = p->type->fd(p);

	if (fd < 0 || p->in_link_set == on)
		return;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
	if (epoll_ctl(l->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev) < 0 && on)
		LOGW("link", "%s: epoll: %s", p->name, strerror(errno));
	p->in_link_set = on;
}

struct attempt {
	struct pbd_panel *pn;
	struct pbd_owner own; /* just the port: what the fault handler looks at */
};

static void *attempt_main(void *arg)
{
	struct attempt *a = arg;
	struct pbd_port *p = a->own.port[0];

	pbd_fault_thread_init(&a->own);
	p->type->dispatch(p);
	if (a->own.fault)
		drop_faulted(&a->own);
	PBD_STORE(p->attempting, false);
	pbd_inbox_wake(&a->pn->link.inbox);
	free(a);
	return NULL;
}

/* Run a slow port's dispatch on a thread of its own; false if none could
 * be started (the caller dispatches inline, as before). */
static bool start_attempt(struct pbd_panel *pn, struct pbd_port *p)
{
	struct attempt *a = calloc(1, sizeof(*a));
	pthread_attr_t attr;
	pthread_t t;

	if (!a)
		return false;
	a->pn = pn;
	a->own.port[0] = p;
	a->own.n = 1;
	set_watch(&pn->link, p, false);
	PBD_STORE(p->attempting, true);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&t, &attr, attempt_main, a);
	pthread_attr_destroy(&attr);
	if (r) {
		PBD_STORE(p->attempting, false);
		free(a);
		return false;
	}
	return true;
}

static void dispatch(struct pbd_panel *pn, struct pbd_port *p)
{
	struct pbd_link *l = &pn->link;

	if (PBD_LOAD(p->attempting))
		return;
	if (p->type->slow_dispatch && start_attempt(pn, p))
		return;
	p->type->dispatch(p);
	if (l->own.fault)
		drop_faulted(&l->own);
}

static void adopt(struct pbd_panel *pn)
{
	struct pbd_link *l = &pn->link;

	for (struct pbd_port *p = pbd_inbox_take(&l->inbox), *next; p; p = next) {
		next = p->next_in_inbox;
		if (PBD_PEEK(p->deleting)) {
			close_port(pn, p);
			continue;
		}
		p->up = false;
		p->in_link_set = false;
		pbd_owner_add(&l->own, p);
		PBD_SET(p->home, PBD_HOME_LINK);
		set_watch(l, p, true);
		dispatch(pn, p);
	}
}

/* Close deleted ports, pass ports that came up to their workers. */
static void sort_out(struct pbd_panel *pn)
{
	struct pbd_link *l = &pn->link;

	for (unsigned i = 0; i < l->own.n;) {
		struct pbd_port *p = l->own.port[i];
		if (PBD_LOAD(p->attempting)) { /* its attempt thread has it */
			i++;
			continue;
		}
		bool del = PBD_PEEK(p->deleting), up = !del && p->type->is_up(p);
		if (!del && !up) {
			set_watch(l, p, true); /* back from an attempt */
			i++;
			continue;
		}
		set_watch(l, p, false);
		pbd_owner_remove(&l->own, i);
		if (del) {
			close_port(pn, p);
		} else {
			p->up = true;
			LOGI("link", "%s: up", p->name);
			pbd_handoff(pn, p, true);
		}
	}
}

void *pbd_link_main(void *arg)
{
	struct pbd_panel *pn = arg;
	struct pbd_link *l = &pn->link;
	uint64_t last_all = 0;

	pbd_fault_thread_init(&l->own);
	while (!PBD_LOAD(pn->link_stop)) {
		struct epoll_event ev[64];
		adopt(pn);
		int n = epoll_wait(l->epfd, ev, 64, LINK_TICK_MS);
		for (int i = 0; i < n; i++)
			if (ev[i].data.ptr)
				dispatch(pn, ev[i].data.ptr);
		if (pbd_now_ns() - last_all >= REDISPATCH_NS) {
			for (unsigned i = 0; i < l->own.n; i++)
				dispatch(pn, l->own.port[i]);
			last_all = pbd_now_ns();
		}
		sort_out(pn);
	}
	/* The workers are gone and have sent back what they had. An attempt
	 * still running ends within its set-up timeout. */
	adopt(pn);
	while (l->own.n) {
		struct pbd_port *p = l->own.port[0];
		while (PBD_LOAD(p->attempting)) {
			struct timespec ts = {0, 10000000};
			nanosleep(&ts, NULL);
		}
		pbd_owner_remove(&l->own, 0);
		close_port(pn, p);
	}
	return NULL;
}
