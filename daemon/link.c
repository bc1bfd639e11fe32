/* SPDX-License-Identifier: MIT */
/*
 * link.c - the link thread: owner of every port that is down, and the only
 * thread that closes ports. Here a vhost: port waits for its front-end and
 * runs the handshake, and a virtio: port connects to its device and runs the
 * set-up, which waits for each reply: slow work that must never run on a
 * worker. A port that comes up goes to its worker; a worker sends back a
 * port that went down, or that is being deleted.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "fault.h"
#include "log.h"
#include "panel.h"

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

static void drop_faulted(struct pbd_link *l)
{
	l->own.fault = false;
	for (unsigned i = 0; i < l->own.n; i++) {
		struct pbd_port *p = l->own.port[i];
		if (p->fault_pending && p->type->drop_peer) {
			p->fault_pending = false;
			p->ctr.faults++;
			p->type->drop_peer(p, "memory fault (SIGBUS) on the peer's memory");
		}
	}
}

static void dispatch(struct pbd_link *l, struct pbd_port *p)
{
	p->type->dispatch(p);
	if (l->own.fault)
		drop_faulted(l);
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
		int fd = p->type->fd(p);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
		if (fd >= 0 && epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			LOGW("link", "%s: epoll: %s", p->name, strerror(errno));
		p->up = false;
		pbd_owner_add(&l->own, p);
		PBD_SET(p->home, PBD_HOME_LINK);
		dispatch(l, p);
	}
}

/* Close deleted ports, pass ports that came up to their workers. */
static void sort_out(struct pbd_panel *pn)
{
	struct pbd_link *l = &pn->link;

	for (unsigned i = 0; i < l->own.n;) {
		struct pbd_port *p = l->own.port[i];
		bool del = PBD_PEEK(p->deleting), up = !del && p->type->is_up(p);
		if (!del && !up) {
			i++;
			continue;
		}
		int fd = p->type->fd(p);
		if (fd >= 0)
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
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
				dispatch(l, ev[i].data.ptr);
		if (pbd_now_ns() - last_all >= REDISPATCH_NS) {
			for (unsigned i = 0; i < l->own.n; i++)
				dispatch(l, l->own.port[i]);
			last_all = pbd_now_ns();
		}
		sort_out(pn);
	}
	/* The workers are gone and have sent back what they had. */
	adopt(pn);
	while (l->own.n) {
		struct pbd_port *p = l->own.port[0];
		pbd_owner_remove(&l->own, 0);
		close_port(pn, p);
	}
	return NULL;
}
