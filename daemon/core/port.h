/* SPDX-License-Identifier: MIT */
/*
 * port.h - a patchbayd port: one named end (`vhost:1`, `tap:web`) that frames
 * come in and go out of, behind a small ops interface. One file per type in
 * the ports wing (daemon/ports/), listed in ports/registry.c; the core
 * (panel, workers, link) never names a type. core/port.c has the helpers
 * every type shares.
 *
 * Ownership. A port is driven by one thread at a time, its "owner": the link
 * thread while it is down (where a peer's handshake may take its time), a
 * worker while it is up. Only the owner calls the ops below (except
 * describe/stats, read-only snapshots the control thread may take, and maps,
 * which the fault handler calls on the owner's own thread). The counters in
 * struct pbd_port_ctr are written by the owner only, with plain stores, and
 * read by the control thread: never an atomic per packet.
 */
#ifndef PBD_PORT_H
#define PBD_PORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <patchbay/patchbay.h>

#define PBD_NAME_MAX  64 /* "type:id" with its NUL */
#define PBD_BURST     32 /* frames per rx call */
#define PBD_MAX_PORTS 1024

struct pbd_port;
struct pbd_opts;
struct pbd_capset;
struct pbd_bridge_member;
struct pbd_mirset;

/* Drops the daemon counts, by reason. The library's own counters (frames
 * the peer sent malformed, frames too large for the link) come on top.
 * One row each, X(field, description): reading, `clear` and the metrics'
 * catch-all expand the list, so a counter added here is never missed. */
#define PBD_PORT_CTR_FIELDS(X)                                                                     \
	X(drop_no_patch, "received with nowhere to go")                                            \
	X(drop_dest_down, "received for a patch whose far port was down")                          \
	X(drop_no_buffer, "to send here, but the peer had no room (ring full)")                    \
	X(drop_broken, "lost when the peer broke the port (fault, protocol)")                      \
	X(faults, "memory faults the peer caused (SIGBUS)")

struct pbd_port_ctr {
#define PBD_PORT_CTR_MEMBER(field, doc) uint64_t field;
	PBD_PORT_CTR_FIELDS(PBD_PORT_CTR_MEMBER)
#undef PBD_PORT_CTR_MEMBER
};

struct pbd_port_type {
	const char *name;	 /* "vhost" */
	const char *summary;	 /* one line for help */
	const char *const *keys; /* its own option keys (NULL-terminated) */
	/* Also the library's port-spec keys of @lib_role (pb_port_option()),
	 * but for @lib_refused: they are passed on in the spec, so the list
	 * is the library's, never a copy. */
	bool lib_keys;
	enum pb_port_role lib_role;
	const char *const *lib_refused;
	bool source;	    /* makes frames by itself (pcap rx, null source):
			       rx only while patched */
	bool slow_dispatch; /* dispatch may wait for the peer while down (a virtio:
			       set-up): the link thread runs each attempt on a
			       thread of its own */
	/* Create from @opts (already checked against keys). On failure write
	 * a message naming the problem into @err and return -errno. */
	int (*open)(struct pbd_port *p, const struct pbd_opts *opts, char *err, size_t errlen);
	void (*close)(struct pbd_port *p);
	/* An fd to wait on (readable when dispatch or rx has work), or -1. */
	int (*fd)(const struct pbd_port *p);
	void (*dispatch)(struct pbd_port *p);
	bool (*is_up)(const struct pbd_port *p);
	unsigned (*rx)(struct pbd_port *p, struct pb_frame *f, unsigned n);
	unsigned (*tx)(struct pbd_port *p, const struct pb_frame *f, unsigned n);
	/* Arm wake-ups before the worker sleeps: 0 armed, 1 work is pending. */
	int (*prepare_sleep)(struct pbd_port *p);
	void (*stats)(const struct pbd_port *p, struct pb_port_stats *st);
	/* Add the type's own fields (path, features, ...) to @obj. */
	void (*describe)(const struct pbd_port *p, json_t *obj);
	/* Optional (peer-shared memory): see pb_port_maps(), pb_port_drop_peer(). */
	bool (*maps)(const struct pbd_port *p, const void *addr);
	void (*drop_peer)(struct pbd_port *p, const char *why);
	/* Optional: flush buffered output (pcap tx) when the worker goes idle. */
	void (*flush)(struct pbd_port *p);
};

/* Where a port's received frames go: an immutable list, replaced whole by
 * the control thread and freed after every worker has passed a quiescent
 * point (panel.c). */
struct pbd_dests {
	unsigned n;
	struct pbd_port *port[];
};

enum { PBD_HOME_CLOSED = -3, PBD_HOME_NONE = -2, PBD_HOME_LINK = -1 }; /* else a worker */

struct pbd_port {
	char name[PBD_NAME_MAX];
	const struct pbd_port_type *type;
	void *priv;
	unsigned slot; /* index in the panel's table */
	json_t *opts;  /* as given at add (for status and --config replay) */
	char *run_dir; /* where default socket paths go */

	/* Control thread writes, owner reads (relaxed atomics). */
	int assigned;	       /* the worker it should run on when up */
	bool deleting;	       /* owner: hand it to the link thread to be closed */
	struct pbd_dests *out; /* patches from this port (RCU-style) */
	/* Its captures, RCU-style too (core/capture.h). */
	struct pbd_capset *cap;
	/* Its bridge attachment, or NULL (core/bridge.h): a bridged port is
	 * switched by its bridge and has no patches. */
	struct pbd_bridge_member *bport;
	/* The mirrors it is a source of, RCU-style (core/mirror.h), and
	 * whether it is one's destination (control-private). */
	struct pbd_mirset *mir;
	bool mirror_dst;
	/* Owner writes, control reads. */
	int home; /* who owns it now: PBD_HOME_LINK or a worker index */
	bool up;  /* as seen by its owner at the last dispatch */
	struct pbd_port_ctr ctr;
	/* Control-private: what `clear` saw, subtracted from what is shown. */
	struct pbd_port_ctr ctr_base;
	struct pb_port_stats lib_base;

	/* Link thread and its attempt threads (link.c). */
	bool attempting;  /* atomic: an attempt thread is dispatching it */
	bool in_link_set; /* its fd is in the link thread's epoll set */

	/* Owner-private. */
	struct pbd_port *next_in_inbox;
	unsigned pend_off, pend_n; /* frames held for a full single destination */
	uint64_t pend_since_ns;
	struct pb_frame pend[PBD_BURST];
	bool fault_pending; /* a SIGBUS hit this port's memory */
};

/* Options given at add: key=value pairs, kept as a JSON object of strings. */
struct pbd_opts {
	json_t *obj;
};

const char *pbd_opt_str(const struct pbd_opts *o, const char *key, const char *dflt);
/* Parse an unsigned integer option within [min, max]; -EINVAL with a
 * message naming the key and range on error. */
int pbd_opt_uint(const struct pbd_opts *o, const char *key, uint64_t dflt, uint64_t min,
		 uint64_t max, uint64_t *out, char *err, size_t errlen);
int pbd_opt_bool(const struct pbd_opts *o, const char *key, bool dflt, bool *out, char *err,
		 size_t errlen);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t pbd_now_ns(void);

/* The @i-th option key (from 0) type @t takes, its own then the library's,
 * with its help (or "") in *@help; NULL past the last. */
const char *pbd_port_type_key(const struct pbd_port_type *t, unsigned i, const char **help);
bool pbd_port_type_takes(const struct pbd_port_type *t, const char *key);

/* The port's id: what follows "type:" in its name. */
const char *pbd_port_id(const struct pbd_port *p);

/* The registry of types, defined by the ports wing (ports/registry.c): the
 * core asks it by name and never names a type itself. NULL if @name is not
 * one. */
const struct pbd_port_type *pbd_port_type_find(const char *name);
/* The registry, NULL-terminated, for the `types` command and errors. */
extern const struct pbd_port_type *const pbd_port_types[];

/* Relaxed accessors for the fields two threads touch. */
#define PBD_LOAD(x)	__atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define PBD_STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define PBD_PEEK(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define PBD_SET(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

#endif /* PBD_PORT_H */
