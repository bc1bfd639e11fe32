/* SPDX-License-Identifier: MIT */
/*
 * port.h - a port: one end of a virtio-net link, opened from a spec string.
 *
 * Two drivers exist today:
 *
 *   vhost:PATH[,opts]    the device side (a "backend", what a switch runs).
 *                        Serves the rings of a peer that drives virtio over
 *                        the vhost-user protocol: DPDK's net_virtio_user, QEMU
 *                        with a guest, or a patchbay "virtio:" port.
 *                        Listens on PATH by default; client=1 connects.
 *   virtio:PATH[,opts]   the driver side ("virtio-user", what an app runs).
 *                        Puts its rings and buffers in one sealed memfd and
 *                        hands them to a vhost-user backend: DPDK's net_vhost,
 *                        OVS-DPDK, or a patchbay "vhost:" port.
 *                        Connects to PATH by default; server=1 listens.
 *
 * "vhost-user:" is an alias of "vhost:", "virtio-user:" of "virtio:".
 *
 * Options (comma separated key=value; unknown keys are an error):
 *   server=0|1       listen on PATH (default: vhost 1, virtio 0)
 *   client=0|1       the opposite of server=
 *   queue-size=N     virtio only: ring size, a power of two 16..32768 (256)
 *   mtu=N            MTU offered (vhost) or requested (virtio), 68..9000 (1500)
 *   mac=XX:..:XX     MAC address the device reports (vhost) (random local)
 *   mrg-rxbuf=0|1    offer/accept VIRTIO_NET_F_MRG_RXBUF (1)
 *   event-idx=0|1    offer/accept VIRTIO_RING_F_EVENT_IDX (1)
 *   indirect=0|1     vhost only: offer VIRTIO_RING_F_INDIRECT_DESC (1)
 *   hugetlb=0|1      virtio only: back the memfd with huge pages (0)
 *   packed=0|1       virtio only: ask for packed rings; split if the backend lacks them (0)
 *   reconnect-ms=N   client sockets: retry interval after a loss (1000)
 *   copy=auto|cache|stream
 *                    how tx writes frames into buffers the peer reads:
 *                    ordinary stores, streaming (non-temporal) stores, or
 *                    auto: time both while running and keep the faster (auto);
 *                    streaming exists on x86-64 only, elsewhere all are cache
 *   lazy=0|1         virtio only, as a client: make the first connect attempt
 *                    (and its set-up, which waits for each reply) at the
 *                    first pb_port_dispatch() instead of inside pb_port_open(),
 *                    so that open never waits for the backend (0)
 *
 * Life cycle. pb_port_open() never waits for the peer: a server port is up
 * once a peer has connected and set up its queues; a client port tries to
 * connect at open and again every reconnect-ms until it succeeds. If the peer
 * goes away the port goes down, frames in flight are dropped, and the port
 * comes back up when a peer returns. The application drives all of this by
 * waiting on pb_port_fd() and calling pb_port_dispatch() when it is readable
 * (or periodically, when it polls).
 *
 * Data. Frames are plain Ethernet frames, without the virtio-net header.
 * pb_port_tx_burst() copies them into the ring (one copy); frames returned by
 * pb_port_rx_burst() point into port-owned or peer-shared memory (no copy)
 * and stay valid until the next pb_port_rx_burst(), pb_port_dispatch(),
 * pb_port_prepare_sleep() or pb_port_close() on that port. On a vhost port
 * the bytes live in the peer's memory, which the peer can still write: copy
 * what must not change under you before you trust it.
 *
 * Threads. A port is used by one thread at a time; ports are independent.
 */
#ifndef PATCHBAY_PORT_H
#define PATCHBAY_PORT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PB_API
#define PB_API __attribute__((visibility("default")))
#endif

/** An open port; an incomplete type, only ever used through a pointer. */
struct pb_port;

/** One Ethernet frame, without the virtio-net header. */
struct pb_frame {
	void *data;   /**< first byte of the frame */
	uint32_t len; /**< frame length in bytes */
};

/** Which side of the virtio link a port is. */
enum pb_port_role {
	PB_ROLE_DEVICE = 0, /**< vhost: the backend, serves the peer's rings */
	PB_ROLE_DRIVER = 1, /**< virtio: the frontend, owns the rings */
};

/** Counters since pb_port_open(); they survive reconnections. */
/**
 * The counters, one row each: X(field, description). The struct below is
 * this list in this order (the ABI), and code that must visit every
 * counter (patchbayd's `clear`) expands it rather than naming fields, so a
 * counter added here is never missed there.
 */
#define PB_PORT_STATS_FIELDS(X)                                                                    \
	X(rx_frames, "frames returned by pb_port_rx_burst()")                                      \
	X(rx_bytes, "their bytes")                                                                 \
	X(tx_frames, "frames accepted by pb_port_tx_burst()")                                      \
	X(tx_bytes, "their bytes")                                                                 \
	X(rx_dropped, "frames the peer sent that were dropped (bad or oversized)")                 \
	X(tx_dropped, "frames consumed by tx_burst but not sent (too large)")                      \
	X(tx_full, "tx_burst calls that found the ring full")                                      \
	X(notify_sent, "eventfd signals sent to the peer (kicks or calls)")                        \
	X(peer_errors, "protocol violations by the peer (each breaks the link)")                   \
	X(connects, "times the port came up")                                                      \
	X(disconnects, "times it went down")                                                       \
	X(tx_streamed, "frames tx_burst wrote (in part) with streaming stores (copy=)")            \
	X(tx_copy_switches, "times copy=auto changed its way of copying")

struct pb_port_stats {
#define PB_PORT_STATS_MEMBER(field, doc) uint64_t field;
	PB_PORT_STATS_FIELDS(PB_PORT_STATS_MEMBER)
#undef PB_PORT_STATS_MEMBER
};

/** What the port negotiated; valid while the port is up. */
struct pb_port_info {
	enum pb_port_role role;
	bool up;	     /**< peer connected and queues running */
	bool server;	     /**< the port listens (else it connects) */
	uint64_t features;   /**< negotiated virtio feature bits */
	uint16_t queue_size; /**< ring size in descriptors (0 while down) */
	uint16_t mtu;	     /**< largest IP packet; frames may carry 14 (+4 VLAN) more */
	uint8_t mac[6];	     /**< device MAC address */
	char path[108];	     /**< the socket path */
};

/**
 * Open a port from a spec string (see the top of this file).
 *
 * @param spec  e.g. "vhost:/run/patchbay/a.sock" or "virtio:/tmp/x.sock,server=1".
 * @return a port, or NULL with errno set:
 *   EINVAL        the spec is malformed: unknown type or key, bad value
 *                 (a message naming the problem goes to the log hook);
 *   ENAMETOOLONG  PATH does not fit a Unix socket address;
 *   EADDRINUSE    server: another process is listening on PATH;
 *   ENOMEM        out of memory (or the memfd could not be sized);
 *   other         from socket(), bind(), listen(), memfd_create(), mmap().
 * A client port whose peer is not there yet is not an error: it opens down.
 */
PB_API struct pb_port *pb_port_open(const char *spec);

/**
 * pb_port_open() that also says why it failed: on NULL, @err (@errlen
 * bytes, always NUL-terminated) names the problem ("port spec 'x': unknown
 * key 'foo' ..."), the text pb_port_open() sends to the log hook. For
 * callers that report errors themselves (patchbayd answers them to its
 * client). @err may be NULL.
 */
PB_API struct pb_port *pb_port_open_err(const char *spec, char *err, size_t errlen);

/**
 * The spec's option keys that ports of @role take, for front ends that list
 * or check them (patchbayd's `types`, usage texts): the name of the @i-th
 * (from 0) with its one-line help in *@help (if @help is not NULL), or NULL
 * past the last.
 */
PB_API const char *pb_port_option(enum pb_port_role role, unsigned i, const char **help);

/**
 * Close a port: disconnect from the peer, unlink a server's socket file,
 * unmap shared memory, free everything. NULL is a no-op. Frames returned by
 * pb_port_rx_burst() are invalid afterwards.
 */
PB_API void pb_port_close(struct pb_port *port);

/**
 * The port's event fd: an epoll fd that becomes readable when the port has
 * something for pb_port_dispatch() to do (a connection, a control message, a
 * reconnect timer) and, after pb_port_prepare_sleep(), when frames or ring
 * space arrive. Owned by the port; do not close or read it. Stable for the
 * port's whole life, so it can be registered once in the caller's own loop.
 */
PB_API int pb_port_fd(const struct pb_port *port);

/**
 * Do the port's pending control work without blocking on the peer for long:
 * accept or retry connections, handle control messages, drain notification
 * fds and turn notifications off again (back to polling).
 *
 * A frontend that has just connected runs the vhost-user set-up here; it
 * waits for each reply from the backend for at most 2 s.
 *
 * @return 0, or a negative errno only for a fault of the port itself
 * (-ENOMEM). A misbehaving peer is not an error of this call: its link is
 * dropped, counted in stats.peer_errors, and the port waits for a new peer.
 */
PB_API int pb_port_dispatch(struct pb_port *port);

/** True while the peer is connected and the queues are running. */
PB_API bool pb_port_is_up(const struct pb_port *port);

/**
 * Receive up to @n frames.
 *
 * @param frames  filled with pointers to the frames, valid until the next
 *                rx_burst, dispatch, prepare_sleep or close on this port.
 *                The bytes must not be written.
 * @return number of frames filled, 0..@n; 0 when none are waiting or the
 *         port is down.
 */
PB_API unsigned pb_port_rx_burst(struct pb_port *port, struct pb_frame *frames, unsigned n);

/**
 * Send up to @n frames, copying each into the ring.
 *
 * @return number of frames consumed from the front of @frames, 0..@n. Fewer
 *         than @n means the ring (or the peer's supply of receive buffers) is
 *         full: retry the rest later. A frame larger than the link can carry
 *         is consumed and counted in stats.tx_dropped. Returns 0 while down.
 * The peer is notified (once per call, and only if it asked to be).
 */
PB_API unsigned pb_port_tx_burst(struct pb_port *port, const struct pb_frame *frames, unsigned n);

/** What pb_port_prepare_sleep() should wake the caller for. */
enum pb_wait {
	PB_WAIT_RX = 1, /**< frames to receive */
	PB_WAIT_TX = 2, /**< room to send */
};

/**
 * Ask the peer to notify before the caller sleeps on pb_port_fd(), closing
 * the race where work arrives between the last poll and the sleep.
 *
 * @param what  a mask of enum pb_wait.
 * @return 0: notifications armed, safe to sleep; 1: work is already there,
 *         poll again instead of sleeping; negative errno: port is down
 *         (-ENOTCONN), sleep on the fd for the peer to come back.
 * The next pb_port_dispatch() turns notifications off again.
 */
PB_API int pb_port_prepare_sleep(struct pb_port *port, unsigned what);

/** Copy the port's counters into @stats. */
PB_API void pb_port_get_stats(const struct pb_port *port, struct pb_port_stats *stats);

/** Copy what the port negotiated into @info. */
PB_API void pb_port_get_info(const struct pb_port *port, struct pb_port_info *info);

/**
 * Does @addr lie in memory this port maps and its peer controls: the peer's
 * regions (vhost:), or the port's own shared memfd (virtio:)?
 *
 * This is how a process that catches SIGBUS finds the port whose peer
 * faulted it: a peer that truncates the file behind a mapping (or punches a
 * hole in a huge-page memfd) makes our next access to it fault. The library
 * installs no signal handler of its own; see pb_fault_patch().
 *
 * Async-signal-safe, and lock-free: it only reads the port's table of
 * mappings, which changes only inside pb_port_dispatch() and
 * pb_port_close(). Call it from a handler running on the thread that owns
 * the port (a fault is raised on the faulting thread), or from that thread.
 */
PB_API bool pb_port_maps(const struct pb_port *port, const void *addr);

/**
 * Drop the port's peer as one that broke the protocol: counted in
 * stats.peer_errors, the link goes down, the port waits for a new peer (a
 * server keeps listening, a client reconnects). Nothing is sent to the peer
 * and nothing waits for it. Use it after pb_port_maps() named the port of a
 * fault: this also unmaps the peer's memory.
 */
PB_API void pb_port_drop_peer(struct pb_port *port, const char *why);

/**
 * Make the faulting access at @addr succeed: map a private zero page over
 * the page holding it, so the instruction that faulted reads zeros (or
 * writes into nothing the peer sees) when the handler returns. The page
 * leaves with the rest of the mapping when the port drops its peer.
 * Async-signal-safe. Returns 0 or a negative errno from mmap().
 */
PB_API int pb_fault_patch(void *addr);

#ifdef __cplusplus
}
#endif

#endif /* PATCHBAY_PORT_H */
