/* SPDX-License-Identifier: MIT */
/*
 * panel.h - the patch panel: the table of ports, the patches between them,
 * and the threads that move frames (workers) or wait for peers (the link
 * thread).
 *
 * Threads and who touches what:
 *  - the control thread (main.c, control.c) owns the table: it creates and
 *    deletes ports and patches, and only reads the counters;
 *  - the link thread owns every port that is down: it runs their
 *    dispatch (a peer's handshake, a virtio: port's set-up that waits for
 *    its device) and hands a port to its worker once it is up;
 *  - each worker owns the up ports assigned to it and forwards their frames.
 *    Ports joined by patches are assigned to the same worker, so a frame is
 *    moved by the one thread that owns both ends.
 * A port changes hands through the receiving thread's inbox (a list under a
 * mutex, taken only when an atomic count says it is not empty, and an
 * eventfd to wake the thread): never a lock per packet.
 *
 * Patches are published RCU-style: each port's list of destinations is an
 * immutable struct pbd_dests, replaced whole by the control thread, which
 * frees the old one after every worker has passed a quiescent point (the
 * top of its loop) since the swap.
 */
#ifndef PBD_PANEL_H
#define PBD_PANEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/port.h"

struct pbd_inbox {
	pthread_mutex_t mu;
	struct pbd_port *head, *tail;
	unsigned count; /* atomic: the owner's cheap "anything there?" */
	int efd;	/* written on push: wakes the owner from epoll */
};

/* The ports a thread owns now, where its fault handler looks (fault.c). */
struct pbd_owner {
	struct pbd_port *port[PBD_MAX_PORTS];
	unsigned n;
	bool fault; /* a SIGBUS was caught on one of them */
};

struct pbd_worker {
	unsigned id;
	int cpu; /* -1: not pinned */
	pthread_t thread;
	struct pbd_panel *panel;
	struct pbd_inbox inbox;
	int epfd;
	struct pbd_owner own;
	uint64_t seen_gen; /* atomic: the panel generation at its last loop top */

	/* Owner writes, control reads (relaxed). */
	uint64_t busy_ns;  /* in loops that moved frames */
	uint64_t poll_ns;  /* polling, nothing to move */
	uint64_t sleep_ns; /* asleep in epoll */
	uint64_t wakeups;  /* returns from sleep */
	uint64_t frames;   /* frames received on its ports */
	/* Control-private: what `clear` saw. */
	uint64_t base_busy_ns, base_poll_ns, base_sleep_ns, base_wakeups, base_frames;
};

struct pbd_link {
	pthread_t thread;
	struct pbd_inbox inbox;
	int epfd;
	struct pbd_owner own;
};

struct pbd_panel {
	char run_dir[256];
	unsigned nworkers;
	struct pbd_worker *workers;
	struct pbd_link link;
	uint64_t idle_ns; /* a worker polls this long with nothing to do, then sleeps */
	bool stopping;	  /* atomic: workers leave their loops */
	bool link_stop;	  /* atomic: the link thread closes what is left and leaves */
	uint64_t gen;	  /* atomic: bumped by each table swap */

	/* Control-private. */
	struct pbd_port *port[PBD_MAX_PORTS];
	unsigned nports;
	pthread_mutex_t closed_mu; /* the link thread tells control a port is closed */
	pthread_cond_t closed_cv;
	uint64_t started_ns;
	struct pbd_captures *captures; /* core/capture.c's */
	struct pbd_bridge *bridges;    /* core/bridge.c's list */
	struct pbd_mirror *mirrors;    /* core/mirror.c's list */
};

/* Errors the panel reports: a code the protocol names and a message. */
enum pbd_err {
	PBD_OK = 0,
	PBD_E_BAD_NAME,	     /* not TYPE:ID */
	PBD_E_UNKNOWN_TYPE,  /* TYPE is not a port type */
	PBD_E_BAD_OPTION,    /* an option is unknown or has a bad value */
	PBD_E_EXISTS,	     /* a port of that name exists */
	PBD_E_NO_PORT,	     /* no port of that name */
	PBD_E_IN_USE,	     /* the port is patched */
	PBD_E_NO_PATCH,	     /* no such patch */
	PBD_E_PATCH_EXISTS,  /* already patched */
	PBD_E_FULL,	     /* too many ports */
	PBD_E_SYSTEM,	     /* the system refused (socket in use, permission, ...) */
	PBD_E_NO_BRIDGE,     /* no bridge of that name */
	PBD_E_BRIDGE_EXISTS, /* a bridge of that name exists */
	PBD_E_NO_ENTRY,	     /* no such static FDB entry */
	PBD_E_ENTRY_EXISTS,  /* that static FDB entry exists */
};

/* Start @nworkers workers (pinned to @cpus[i] when @cpus, -1 entries unpinned)
 * and the link thread. Returns 0 or -errno. */
int pbd_panel_start(struct pbd_panel *pn, const char *run_dir, unsigned nworkers, const int *cpus,
		    uint64_t idle_us);
/* Close every port and stop the threads. */
void pbd_panel_stop(struct pbd_panel *pn);

struct pbd_port *pbd_panel_find(struct pbd_panel *pn, const char *name);
enum pbd_err pbd_panel_add(struct pbd_panel *pn, const char *name, json_t *opts,
			   struct pbd_port **out, char *err, size_t errlen);
/* @force: unpatch it first; otherwise a patched port is PBD_E_IN_USE. A
 * port on a bridge or in a mirror is PBD_E_IN_USE either way: the caller
 * detaches it first (core/bridge.h, core/mirror.h). */
enum pbd_err pbd_panel_del(struct pbd_panel *pn, struct pbd_port *p, bool force, char *err,
			   size_t errlen);
enum pbd_err pbd_panel_patch(struct pbd_panel *pn, struct pbd_port *from, struct pbd_port *to,
			     char *err, size_t errlen);
/* @to NULL: every patch from @from. */
enum pbd_err pbd_panel_unpatch(struct pbd_panel *pn, struct pbd_port *from, struct pbd_port *to,
			       char *err, size_t errlen);
void pbd_panel_reset(struct pbd_panel *pn);
/* Wait until every worker has passed a quiescent point (the top of its
 * loop) since the call: a pointer it read before is no longer in use. */
void pbd_panel_sync(struct pbd_panel *pn);
bool pbd_panel_is_patched(struct pbd_panel *pn, const struct pbd_port *p);
/* The worker with the fewest ports assigned (a new port's, a new bridge's). */
int pbd_panel_least_loaded(struct pbd_panel *pn);

/* Counters as shown: live values minus what `clear` saw. */
void pbd_port_read_stats(const struct pbd_port *p, struct pb_port_stats *st,
			 struct pbd_port_ctr *ctr);
/* The same since the port was made (what `clear` does not reset). */
void pbd_port_read_raw(const struct pbd_port *p, struct pb_port_stats *st,
		       struct pbd_port_ctr *ctr);
/* Its peer is connected and a worker runs it. */
bool pbd_port_is_up(const struct pbd_port *p);
void pbd_panel_clear(struct pbd_panel *pn, struct pbd_port *only);

/* Inboxes and handing a port over (panel_inbox.c). */
int pbd_inbox_init(struct pbd_inbox *ib);
void pbd_inbox_fini(struct pbd_inbox *ib);
void pbd_inbox_push(struct pbd_inbox *ib, struct pbd_port *p);
/* Everything in the inbox, as a list linked by next_in_inbox. */
struct pbd_port *pbd_inbox_take(struct pbd_inbox *ib);
void pbd_inbox_wake(struct pbd_inbox *ib);

void pbd_owner_add(struct pbd_owner *o, struct pbd_port *p);
void pbd_owner_remove(struct pbd_owner *o, unsigned i);

/* The threads' loops (worker.c, link.c). */
void *pbd_worker_main(void *arg);
void *pbd_link_main(void *arg);
/* Hand @p, which the calling thread owns no more, to its next owner: the
 * link thread if it is down or being deleted, else its assigned worker. */
void pbd_handoff(struct pbd_panel *pn, struct pbd_port *p, bool up);

#endif /* PBD_PANEL_H */
