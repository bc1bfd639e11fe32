/* SPDX-License-Identifier: MIT */
/*
 * worker.c - a forwarding thread. It owns the up ports assigned to it and,
 * each loop, takes a burst from every one of them and hands it to the
 * ports it is patched to (one copy, in the destination's tx).
 *
 * Adaptive polling: while any port moved frames in the last idle_ns the
 * worker polls; after that it arms every port's notifications
 * (prepare_sleep, which re-checks for work that raced in) and sleeps in
 * epoll on their fds. A kick, a control message or an inbox push wakes it.
 *
 * Backpressure: a port patched to exactly one other holds what that one had
 * no room for and offers it again on the next loops, receiving nothing new
 * meanwhile, so a sender feels a slow receiver as a full ring instead of
 * losing frames in the middle; after PBD_HOLD_NS (100 ms: longer than a
 * scheduler tick or two of a descheduled receiver) the held frames are dropped
 * (counted) so a stuck receiver cannot stall its sender forever. A port
 * patched to several (fan-out) sends each what it can and counts the rest.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>

#include "core/bridge.h"
#include "core/port_io.h"
#include "core/fault.h"
#include "core/log.h"
#include "core/panel.h"

#define PBD_HOLD_NS	 100000000ull /* 100 ms */
#define CONTROL_EVERY	 64	      /* loops between looks at the fds while busy */
#define SLEEP_TIMEOUT_MS 1000

static bool mine(const struct pbd_worker *w, const struct pbd_port *q)
{
	return PBD_PEEK(q->home) == (int)w->id && q->up;
}

/* Drop what @p holds for its destination (it is going, or its frames are
 * about to become invalid), counting them where the drop happened. */
static void drop_held(struct pbd_worker *w, struct pbd_port *p, bool broken)
{
	if (!p->pend_n)
		return;
	struct pbd_dests *d = PBD_LOAD(p->out);
	if (broken)
		p->ctr.drop_broken += p->pend_n;
	else if (d && d->n == 1 && mine(w, d->port[0]))
		d->port[0]->ctr.drop_no_buffer += p->pend_n;
	else
		p->ctr.drop_dest_down += p->pend_n;
	p->pend_n = 0;
}

/* Offer @p's held frames again. Returns true if any moved. */
static bool retry_held(struct pbd_worker *w, struct pbd_port *p, const struct pbd_dests *d)
{
	if (!d || d->n != 1 || !mine(w, d->port[0])) {
		drop_held(w, p, false);
		return true;
	}
	struct pbd_port *q = d->port[0];
	unsigned s = pbd_port_tx(q, p->pend + p->pend_off, p->pend_n);
	p->pend_off += s;
	p->pend_n -= s;
	if (p->pend_n && pbd_now_ns() - p->pend_since_ns > PBD_HOLD_NS)
		drop_held(w, p, false);
	return s > 0;
}

static bool forward(struct pbd_worker *w, struct pbd_port *p)
{
	const struct pbd_dests *d = PBD_LOAD(p->out);
	struct pbd_bridge_member *bm = PBD_LOAD(p->bport);

	if (__builtin_expect(bm != NULL, 0)) {
		drop_held(w, p, false); /* from a patch it had before */
		return pbd_bridge_forward(w, p, bm);
	}
	if (p->pend_n)
		return retry_held(w, p, d);
	if (p->type->source && (!d || !d->n))
		return false; /* a source makes frames only for someone */
	unsigned n = pbd_port_rx(p, p->pend, PBD_BURST);
	if (!n)
		return false;
	w->frames += n;
	if (!d || !d->n) {
		p->ctr.drop_no_patch += n;
		return true;
	}
	if (d->n == 1) {
		struct pbd_port *q = d->port[0];
		if (!mine(w, q)) {
			p->ctr.drop_dest_down += n;
			return true;
		}
		unsigned s = pbd_port_tx(q, p->pend, n);
		if (s < n) {
			p->pend_off = s;
			p->pend_n = n - s;
			p->pend_since_ns = pbd_now_ns();
		}
		return true;
	}
	for (unsigned i = 0; i < d->n; i++) {
		struct pbd_port *q = d->port[i];
		if (!mine(w, q)) {
			p->ctr.drop_dest_down += n;
			continue;
		}
		unsigned s = pbd_port_tx(q, p->pend, n);
		q->ctr.drop_no_buffer += n - s;
	}
	return true;
}

static int find(const struct pbd_owner *o, const struct pbd_port *p)
{
	for (unsigned i = 0; i < o->n; i++)
		if (o->port[i] == p)
			return (int)i;
	return -1;
}

/* Stop owning the port at @i and pass it on. */
static void release(struct pbd_worker *w, unsigned i)
{
	struct pbd_port *p = w->own.port[i];
	int fd = p->type->fd(p);

	drop_held(w, p, false);
	if (fd >= 0)
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
	pbd_owner_remove(&w->own, i);
	pbd_handoff(w->panel, p, p->up);
}

static void adopt(struct pbd_worker *w)
{
	for (struct pbd_port *p = pbd_inbox_take(&w->inbox), *next; p; p = next) {
		next = p->next_in_inbox;
		if (PBD_PEEK(p->deleting) || PBD_PEEK(p->assigned) != (int)w->id) {
			pbd_handoff(w->panel, p, p->up);
			continue;
		}
		int fd = p->type->fd(p);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
		if (fd >= 0 && epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			LOGW("worker", "%s: epoll: %s", p->name, strerror(errno));
		p->pend_n = 0;
		pbd_owner_add(&w->own, p);
		PBD_SET(p->home, (int)w->id);
		p->up = p->type->is_up(p);
		LOGD("worker", "worker %u took %s", w->id, p->name);
	}
}

/* Ports whose memory faulted: drop their peers, send them to the link
 * thread to wait for the next one. */
static void handle_faults(struct pbd_worker *w)
{
	w->own.fault = false;
	for (unsigned i = 0; i < w->own.n; i++) {
		struct pbd_port *p = w->own.port[i];
		if (!p->fault_pending)
			continue;
		p->fault_pending = false;
		drop_held(w, p, true);
		if (p->ctr.faults++ == 0)
			LOGW("worker",
			     "%s: the peer's memory faulted (truncated or unmapped "
			     "under us): port broken, waiting for a new peer",
			     p->name);
		if (p->type->drop_peer)
			p->type->drop_peer(p, "memory fault (SIGBUS) on the peer's memory");
		p->up = p->type->is_up(p);
	}
	for (unsigned i = 0; i < w->own.n;) {
		if (!w->own.port[i]->up)
			release(w, i); /* to the link thread, to wait for a new peer */
		else
			i++;
	}
}

static void dispatch(struct pbd_worker *w, struct pbd_port *p)
{
	/* Dispatch may invalidate received frames (it publishes them as used,
	 * and a control message may remap memory): deliver what is held first,
	 * and while the destination still has no room, leave the event for a
	 * later loop. The peer's memory stays mapped until we dispatch, so the
	 * held frames stay readable meanwhile; retry_held() bounds the wait. */
	if (p->pend_n) {
		retry_held(w, p, PBD_LOAD(p->out));
		if (p->pend_n)
			return;
	}
	p->type->dispatch(p);
	if (w->own.fault)
		handle_faults(w);
	p->up = p->type->is_up(p);
	if (!p->up) {
		int i = find(&w->own, p);
		if (i >= 0)
			release(w, (unsigned)i);
	}
}

static void handle_events(struct pbd_worker *w, int timeout_ms)
{
	struct epoll_event ev[64];
	int n = epoll_wait(w->epfd, ev, 64, timeout_ms);

	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr)
			dispatch(w, ev[i].data.ptr);
		else
			adopt(w); /* the inbox: also drains its eventfd */
	}
}

/* Arm notifications and sleep, unless work is already there. */
static void try_sleep(struct pbd_worker *w)
{
	for (unsigned i = 0; i < w->own.n; i++)
		if (w->own.port[i]->pend_n)
			return;
	for (unsigned i = 0; i < w->own.n; i++) {
		struct pbd_port *p = w->own.port[i];
		if (p->type->flush)
			p->type->flush(p);
	}
	for (unsigned i = 0; i < w->own.n; i++) {
		struct pbd_port *p = w->own.port[i];
		const struct pbd_dests *d = PBD_LOAD(p->out);
		if (p->type->source && (!d || !d->n) && !PBD_LOAD(p->bport))
			continue;
		if (p->type->prepare_sleep(p) > 0)
			return;
	}
	uint64_t t0 = pbd_now_ns();
	handle_events(w, SLEEP_TIMEOUT_MS);
	w->sleep_ns += pbd_now_ns() - t0;
	w->wakeups++;
}

void *pbd_worker_main(void *arg)
{
	struct pbd_worker *w = arg;
	struct pbd_panel *pn = w->panel;
	uint64_t idle_since = 0, loops = 0, t = pbd_now_ns();

	if (w->cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
		if (r)
			LOGW("worker", "worker %u: pinning to CPU %d: %s", w->id, w->cpu,
			     strerror(r));
	}
	pbd_fault_thread_init(&w->own);
	while (!PBD_LOAD(pn->stopping)) {
		PBD_STORE(w->seen_gen, PBD_LOAD(pn->gen));
		if (PBD_PEEK(w->inbox.count))
			adopt(w);
		bool moved = false;
		for (unsigned i = 0; i < w->own.n;) {
			struct pbd_port *p = w->own.port[i];
			if (PBD_PEEK(p->deleting) || PBD_PEEK(p->assigned) != (int)w->id) {
				release(w, i);
				continue;
			}
			moved |= forward(w, p);
			if (w->own.fault)
				handle_faults(w);
			i++;
		}
		if (!moved || ++loops % CONTROL_EVERY == 0)
			handle_events(w, 0);
		uint64_t now = pbd_now_ns();
		if (moved) {
			w->busy_ns += now - t;
			idle_since = 0;
		} else {
			w->poll_ns += now - t;
			if (!idle_since)
				idle_since = now;
			else if (now - idle_since >= pn->idle_ns) {
				try_sleep(w);
				now = pbd_now_ns();
			}
		}
		t = now;
	}
	/* Stopping: give everything back for the link thread to close. */
	while (w->own.n)
		release(w, 0);
	return NULL;
}
