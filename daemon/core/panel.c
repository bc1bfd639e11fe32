/* SPDX-License-Identifier: MIT */
/*
 * panel.c - the control thread's side of the panel: ports and patches, and
 * publishing changes to the threads that run them (see panel.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "core/log.h"
#include "core/panel.h"

#define CLOSE_WAIT_S 10 /* a virtio: port's goodbye waits for its device */

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg, const char *name)
{
	int r = pthread_create(t, NULL, fn, arg);

	if (r)
		return -r;
	pthread_setname_np(*t, name);
	return 0;
}

int pbd_panel_start(struct pbd_panel *pn, const char *run_dir, unsigned nworkers, const int *cpus,
		    uint64_t idle_us)
{
	int r;

	snprintf(pn->run_dir, sizeof(pn->run_dir), "%s", run_dir);
	pn->idle_ns = idle_us * 1000;
	pn->started_ns = pbd_now_ns();
	pthread_mutex_init(&pn->closed_mu, NULL);
	pthread_cond_init(&pn->closed_cv, NULL);
	pn->workers = calloc(nworkers, sizeof(*pn->workers));
	if (!pn->workers)
		return -ENOMEM;
	pn->nworkers = nworkers;
	if ((r = pbd_inbox_init(&pn->link.inbox)) < 0)
		return r;
	pn->link.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pn->link.epfd < 0)
		return -errno;
	for (unsigned i = 0; i < nworkers; i++) {
		struct pbd_worker *w = &pn->workers[i];
		w->id = i;
		w->cpu = cpus ? cpus[i] : -1;
		w->panel = pn;
		if ((r = pbd_inbox_init(&w->inbox)) < 0)
			return r;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0)
			return -errno;
		/* The inbox wakes a sleeping worker (data.ptr NULL: not a port). */
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->inbox.efd, &ev) < 0)
			return -errno;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(pn->link.epfd, EPOLL_CTL_ADD, pn->link.inbox.efd, &ev) < 0)
		return -errno;
	for (unsigned i = 0; i < nworkers; i++) {
		char name[16];
		snprintf(name, sizeof(name), "pb-worker%u", i % 1000);
		if ((r = start_thread(&pn->workers[i].thread, pbd_worker_main, &pn->workers[i],
				      name)) < 0)
			return r;
	}
	return start_thread(&pn->link.thread, pbd_link_main, pn, "pb-link");
}

static void free_port(struct pbd_port *p)
{
	free(p->out);
	free(p->mir);
	json_decref(p->opts);
	free(p->run_dir);
	free(p);
}

void pbd_panel_stop(struct pbd_panel *pn)
{
	PBD_STORE(pn->stopping, true);
	for (unsigned i = 0; i < pn->nworkers; i++) {
		pbd_inbox_wake(&pn->workers[i].inbox);
		pthread_join(pn->workers[i].thread, NULL);
	}
	PBD_STORE(pn->link_stop, true);
	pbd_inbox_wake(&pn->link.inbox);
	pthread_join(pn->link.thread, NULL);
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		if (pn->port[i]) {
			free_port(pn->port[i]);
			pn->port[i] = NULL;
		}
	}
	pn->nports = 0;
}

/* Wait until every worker has been through the top of its loop since now:
 * none still holds a pointer it read before. Sleeping workers are woken
 * (their inbox eventfd) so that this takes microseconds, not a timeout. */
static void synchronize(struct pbd_panel *pn)
{
	uint64_t g = __atomic_add_fetch(&pn->gen, 1, __ATOMIC_SEQ_CST);

	for (unsigned i = 0; i < pn->nworkers; i++) {
		struct pbd_worker *w = &pn->workers[i];
		if (PBD_LOAD(w->seen_gen) >= g)
			continue;
		pbd_inbox_wake(&w->inbox);
		while (PBD_LOAD(w->seen_gen) < g && !PBD_LOAD(pn->stopping)) {
			struct timespec ts = {0, 20000};
			nanosleep(&ts, NULL);
		}
	}
}

void pbd_panel_sync(struct pbd_panel *pn)
{
	synchronize(pn);
}

struct pbd_port *pbd_panel_find(struct pbd_panel *pn, const char *name)
{
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++)
		if (pn->port[i] && strcmp(pn->port[i]->name, name) == 0)
			return pn->port[i];
	return NULL;
}

static bool valid_id(const char *id)
{
	if (!*id)
		return false;
	for (const char *c = id; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
			return false;
	return true;
}

int pbd_panel_least_loaded(struct pbd_panel *pn)
{
	unsigned best = 0, best_n = ~0u;

	for (unsigned w = 0; w < pn->nworkers; w++) {
		unsigned n = 0;
		for (unsigned i = 0; i < PBD_MAX_PORTS; i++)
			n += pn->port[i] && pn->port[i]->assigned == (int)w;
		if (n < best_n) {
			best = w;
			best_n = n;
		}
	}
	return (int)best;
}

static enum pbd_err check_opts(const struct pbd_port_type *t, json_t *opts, char *err,
			       size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(opts, key, v)
	{
		bool known = pbd_port_type_takes(t, key);
		if (!json_is_string(v)) {
			snprintf(err, errlen, "option %s: the value must be a string", key);
			return PBD_E_BAD_OPTION;
		}
		if (!known) {
			int n = snprintf(err, errlen,
					 "unknown option '%s' for %s ports (known:", key, t->name);
			const char *k, *help;
			for (unsigned i = 0;
			     (k = pbd_port_type_key(t, i, &help)) && n > 0 && (size_t)n < errlen;
			     i++)
				n += snprintf(err + n, errlen - (size_t)n, " %s", k);
			if (n > 0 && (size_t)n < errlen)
				snprintf(err + n, errlen - (size_t)n, ")");
			return PBD_E_BAD_OPTION;
		}
	}
	return PBD_OK;
}

enum pbd_err pbd_panel_add(struct pbd_panel *pn, const char *name, json_t *opts,
			   struct pbd_port **out, char *err, size_t errlen)
{
	char type_name[PBD_NAME_MAX];
	const char *colon = strchr(name, ':');
	enum pbd_err e;

	if (!colon || strlen(name) >= PBD_NAME_MAX || !valid_id(colon + 1)) {
		snprintf(err, errlen,
			 "bad port name '%s': expected TYPE:ID, ID of letters, digits, '-', '_', "
			 "'.', %d characters in all at most",
			 name, PBD_NAME_MAX - 1);
		return PBD_E_BAD_NAME;
	}
	snprintf(type_name, sizeof(type_name), "%.*s", (int)(colon - name), name);
	const struct pbd_port_type *t = pbd_port_type_find(type_name);
	if (!t) {
		int n = snprintf(err, errlen, "unknown port type '%s' (types:", type_name);
		for (unsigned i = 0; pbd_port_types[i] && n > 0 && (size_t)n < errlen; i++)
			n += snprintf(err + n, errlen - (size_t)n, " %s", pbd_port_types[i]->name);
		if (n > 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, ")");
		return PBD_E_UNKNOWN_TYPE;
	}
	if (pbd_panel_find(pn, name)) {
		snprintf(err, errlen, "port %s exists", name);
		return PBD_E_EXISTS;
	}
	if ((e = check_opts(t, opts, err, errlen)) != PBD_OK)
		return e;
	unsigned slot = 0;
	while (slot < PBD_MAX_PORTS && pn->port[slot])
		slot++;
	if (slot == PBD_MAX_PORTS) {
		snprintf(err, errlen, "the panel holds %d ports at most", PBD_MAX_PORTS);
		return PBD_E_FULL;
	}
	struct pbd_port *p = calloc(1, sizeof(*p));
	if (!p || !(p->run_dir = strdup(pn->run_dir))) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = t;
	p->slot = slot;
	p->opts = json_incref(opts);
	p->home = PBD_HOME_NONE;
	p->assigned = pbd_panel_least_loaded(pn);
	struct pbd_opts o = {opts};
	int r = t->open(p, &o, err, errlen);
	if (r < 0) {
		free_port(p);
		return r == -EINVAL ? PBD_E_BAD_OPTION : PBD_E_SYSTEM;
	}
	pn->port[slot] = p;
	pn->nports++;
	LOGI("panel", "added %s", name);
	pbd_inbox_push(&pn->link.inbox, p);
	*out = p;
	return PBD_OK;
}

bool pbd_panel_is_patched(struct pbd_panel *pn, const struct pbd_port *p)
{
	if (p->out && p->out->n)
		return true;
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *q = pn->port[i];
		for (unsigned j = 0; q && q->out && j < q->out->n; j++)
			if (q->out->port[j] == p)
				return true;
	}
	return false;
}

/* Replace @p's destinations with @d (which may be NULL); the old list is
 * freed once no worker can be reading it. */
static void set_dests(struct pbd_panel *pn, struct pbd_port *p, struct pbd_dests *d)
{
	struct pbd_dests *old = p->out;

	PBD_STORE(p->out, d);
	synchronize(pn);
	free(old);
}

static struct pbd_dests *dests_with(const struct pbd_dests *d, struct pbd_port *add,
				    const struct pbd_port *remove)
{
	unsigned n = d ? d->n : 0;
	struct pbd_dests *nd = malloc(sizeof(*nd) + (n + 1) * sizeof(nd->port[0]));

	if (!nd)
		return NULL;
	nd->n = 0;
	for (unsigned i = 0; i < n; i++)
		if (d->port[i] != remove)
			nd->port[nd->n++] = d->port[i];
	if (add)
		nd->port[nd->n++] = add;
	return nd;
}

enum pbd_err pbd_panel_unpatch(struct pbd_panel *pn, struct pbd_port *from, struct pbd_port *to,
			       char *err, size_t errlen)
{
	const struct pbd_dests *d = from->out;
	bool found = false;

	for (unsigned i = 0; d && i < d->n; i++)
		found |= !to || d->port[i] == to;
	if (!found) {
		if (to)
			snprintf(err, errlen, "no patch %s -> %s", from->name, to->name);
		else
			snprintf(err, errlen, "%s is not patched to anything", from->name);
		return PBD_E_NO_PATCH;
	}
	struct pbd_dests *nd = to ? dests_with(d, NULL, to) : NULL;
	if (to && !nd) {
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	set_dests(pn, from, nd);
	LOGI("panel", "unpatched %s -> %s", from->name, to ? to->name : "*");
	return PBD_OK;
}

/* Every port connected to @p by patches, either direction, gets @w. */
static void assign_component(struct pbd_panel *pn, struct pbd_port *p, int w)
{
	struct pbd_port *stack[PBD_MAX_PORTS];
	bool seen[PBD_MAX_PORTS] = {false};
	unsigned top = 0;

	stack[top++] = p;
	seen[p->slot] = true;
	while (top) {
		struct pbd_port *q = stack[--top];
		PBD_SET(q->assigned, w);
		for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
			struct pbd_port *r = pn->port[i];
			if (!r || seen[i])
				continue;
			bool linked = false;
			for (unsigned j = 0; q->out && j < q->out->n; j++)
				linked |= q->out->port[j] == r;
			for (unsigned j = 0; r->out && j < r->out->n; j++)
				linked |= r->out->port[j] == q;
			if (linked) {
				seen[i] = true;
				stack[top++] = r;
			}
		}
	}
}

enum pbd_err pbd_panel_patch(struct pbd_panel *pn, struct pbd_port *from, struct pbd_port *to,
			     char *err, size_t errlen)
{
	const struct pbd_dests *d = from->out;

	/* Switched by a bridge, or a mirror's own: not patched as well (the
	 * commands say which bridge or mirror before they get here). */
	for (int i = 0; i < 2; i++) {
		const struct pbd_port *q = i ? to : from;
		if (q->bport || q->mirror_dst) {
			snprintf(err, errlen, "port %s is %s: it cannot be patched too", q->name,
				 q->bport ? "on a bridge" : "a mirror's destination");
			return PBD_E_IN_USE;
		}
	}
	for (unsigned i = 0; d && i < d->n; i++) {
		if (d->port[i] == to) {
			snprintf(err, errlen, "%s is already patched to %s", from->name, to->name);
			return PBD_E_PATCH_EXISTS;
		}
	}
	struct pbd_dests *nd = dests_with(d, to, NULL);
	if (!nd) {
		snprintf(err, errlen, "out of memory");
		return PBD_E_SYSTEM;
	}
	/* Both ends on one worker: @to's side joins @from's. */
	if (to->assigned != from->assigned)
		assign_component(pn, to, from->assigned);
	set_dests(pn, from, nd);
	LOGI("panel", "patched %s -> %s", from->name, to->name);
	return PBD_OK;
}

void pbd_panel_reset(struct pbd_panel *pn)
{
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		struct pbd_port *p = pn->port[i];
		if (p && p->out) {
			struct pbd_dests *old = p->out;
			PBD_STORE(p->out, NULL);
			synchronize(pn);
			free(old);
		}
	}
	LOGI("panel", "every patch removed");
}

enum pbd_err pbd_panel_del(struct pbd_panel *pn, struct pbd_port *p, bool force, char *err,
			   size_t errlen)
{
	/* A bridge or a mirror still holds it: `del` (api/cmd_ports.c) takes
	 * it off those first, or says which one holds it. */
	if (p->bport || p->mir || p->mirror_dst) {
		snprintf(err, errlen, "port %s is on a bridge or in a mirror", p->name);
		return PBD_E_IN_USE;
	}
	if (pbd_panel_is_patched(pn, p)) {
		if (!force) {
			snprintf(err, errlen,
				 "port %s is in use by a patch: unpatch it first (or del --force)",
				 p->name);
			return PBD_E_IN_USE;
		}
		for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
			struct pbd_port *q = pn->port[i];
			if (q && q != p && q->out) {
				for (unsigned j = 0; j < q->out->n; j++) {
					if (q->out->port[j] == p) {
						set_dests(pn, q, dests_with(q->out, NULL, p));
						break;
					}
				}
			}
		}
		set_dests(pn, p, NULL);
	}
	/* Its owner passes it to the link thread, which closes it. */
	PBD_STORE(p->deleting, true);
	if (PBD_LOAD(p->home) >= 0)
		pbd_inbox_wake(&pn->workers[PBD_LOAD(p->home)].inbox);
	pbd_inbox_wake(&pn->link.inbox);
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CLOSE_WAIT_S;
	pthread_mutex_lock(&pn->closed_mu);
	while (PBD_LOAD(p->home) != PBD_HOME_CLOSED)
		if (pthread_cond_timedwait(&pn->closed_cv, &pn->closed_mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&pn->closed_mu);
	if (PBD_LOAD(p->home) != PBD_HOME_CLOSED) {
		/* Still with its owner: leave the slot taken rather than free it
		 * under a thread. It is closed when that thread lets go. */
		LOGE("panel", "%s: not closed after %d s", p->name, CLOSE_WAIT_S);
		snprintf(err, errlen, "port %s is being closed but its peer holds it up", p->name);
		return PBD_E_SYSTEM;
	}
	pn->port[p->slot] = NULL;
	pn->nports--;
	LOGI("panel", "deleted %s", p->name);
	free_port(p);
	return PBD_OK;
}

bool pbd_port_is_up(const struct pbd_port *p)
{
	return PBD_LOAD(p->home) >= 0 && PBD_PEEK(p->up);
}

void pbd_port_read_raw(const struct pbd_port *p, struct pb_port_stats *st, struct pbd_port_ctr *ctr)
{
	const struct pbd_port_ctr *c = &p->ctr;

	p->type->stats(p, st);
#define PEEK(field, doc) ctr->field = PBD_PEEK(c->field);
	PBD_PORT_CTR_FIELDS(PEEK)
#undef PEEK
}

void pbd_port_read_stats(const struct pbd_port *p, struct pb_port_stats *st,
			 struct pbd_port_ctr *ctr)
{
	const struct pbd_port_ctr *b = &p->ctr_base;
	const struct pb_port_stats *lb = &p->lib_base;

	pbd_port_read_raw(p, st, ctr);
	/* Every counter of the list: `clear` once missed the last two. */
#define SUB(field, doc) st->field -= lb->field;
	PB_PORT_STATS_FIELDS(SUB)
#undef SUB
#define SUB(field, doc) ctr->field -= b->field;
	PBD_PORT_CTR_FIELDS(SUB)
#undef SUB
}

void pbd_panel_clear(struct pbd_panel *pn, struct pbd_port *only)
{
	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		struct pbd_port *p = pn->port[i];
		if (!p || (only && p != only))
			continue;
		pbd_port_read_raw(p, &p->lib_base, &p->ctr_base);
	}
	if (only)
		return;
	for (unsigned i = 0; i < pn->nworkers; i++) {
		struct pbd_worker *w = &pn->workers[i];
		w->base_busy_ns = PBD_PEEK(w->busy_ns);
		w->base_poll_ns = PBD_PEEK(w->poll_ns);
		w->base_sleep_ns = PBD_PEEK(w->sleep_ns);
		w->base_wakeups = PBD_PEEK(w->wakeups);
		w->base_frames = PBD_PEEK(w->frames);
	}
}
