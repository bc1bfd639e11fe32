/* SPDX-License-Identifier: MIT */
/*
 * capture.c - capture of any port to pcapng (see capture.h): the worker's
 * producer, the writer thread, and the control thread's start, stop and
 * reaping.
 *
 * The ring. Records of a 24-byte header (timestamp, captured and original
 * length, direction) and the frame's first snaplen bytes, each padded to 8
 * bytes, in a power-of-two byte buffer. `head` (the producer's) and `tail`
 * (the writer's) count bytes since the start and live on cache lines of
 * their own. A record never wraps: when one does not fit before the end of
 * the buffer the producer skips to its start, leaving a marker record
 * there when the rest is large enough to hold a header (the writer skips a
 * shorter rest by itself). The producer stores head with release after the
 * records (pairs with the writer's acquire load); the writer stores tail
 * with release once it has copied records out (pairs with the producer's
 * acquire load, so space is reused only after it was read).
 *
 * Files. One file, or with ring=SIZE,FILES the files FILE.0 .. FILE.N-1 in
 * turn (the oldest overwritten), each a complete pcapng file (SHB and IDB
 * first) of at most SIZE bytes, unless a single frame is larger. To a
 * regular file the writer writes as much as it has; to anything else (a
 * pipe, a socket, a terminal) it waits for room with poll() and writes at
 * most PIPE_BUF at a time, so a stop is never held up by a reader that
 * stopped reading for more than a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/capture.h"
#include "core/log.h"
#include "core/pcapng.h"

#define REC_WRAP      UINT32_MAX /* caplen of the marker: go on at the start */
#define OBUF_SIZE     (PBD_PCAPNG_EPB_LEN(262144u) + (256u << 10))
#define STOP_GRACE_NS 1000000000ull /* a reader making no room for this long at a stop */
#define PIPE_CHUNK    4096u

struct rec {
	uint64_t ts_ns;
	uint32_t caplen, origlen, flags, pad;
};
_Static_assert(sizeof(struct rec) == 24, "record header");

#define REC_LEN(caplen) ((sizeof(struct rec) + (caplen) + 7u) & ~(uint64_t)7u)

enum cap_state { ST_RUNNING, ST_DONE, ST_STOPPED, ST_FAILED };
static const char *const state_names[] = {"running", "done", "stopped", "failed"};

struct pbd_capture {
	/* The producer's line: the worker that owns the port. */
	alignas(64) uint64_t head; /* atomic (release): bytes published */
	uint64_t taken;		   /* frames accepted: producer-private */
	uint64_t dropped;	   /* frames that did not fit (relaxed) */

	/* The writer's line. */
	alignas(64) uint64_t tail; /* atomic (release): bytes consumed */
	bool sleeping;		   /* atomic: the writer waits on efd */

	/* Fixed while the hook is on. */
	alignas(64) uint8_t *ring;
	uint64_t mask; /* ring size - 1 */
	int efd;       /* wakes the writer */
	unsigned dir;
	uint32_t snaplen;
	uint64_t count;

	/* The writer's, read by control (relaxed) where said. */
	bool ended; /* atomic: the writer leaves or has left */
	bool stop;  /* atomic: control asks it to drain and leave */
	uint64_t stop_ns;
	int state; /* atomic (release): enum cap_state */
	char error[PATH_MAX + 256];
	int fd;
	bool regular;
	uint64_t frames;     /* relaxed: EPBs written out */
	uint64_t made;	     /* EPBs made (in obuf or written): what count= counts */
	uint64_t ofr;	     /* EPBs in obuf, not yet written */
	uint64_t bytes;	     /* relaxed: bytes written, every file */
	uint64_t unwritten;  /* taken but never written: set at the join */
	unsigned file_index; /* relaxed: the ring file being written */
	uint64_t file_bytes, file_frames;
	uint8_t *obuf;
	size_t olen;
	int reap_efd; /* the registry's: "an ended capture to reap" */

	/* Control-private. */
	unsigned id;
	struct pbd_port *port; /* NULL once deleted */
	char port_name[PBD_NAME_MAX];
	char file[PATH_MAX]; /* as asked ("-": the client's fd) */
	struct pbd_capture_cfg cfg;
	uint64_t conn;
	uint64_t started_ns;
	pthread_t thread;
	bool joined, hooked;
	struct pbd_capture *next;
};

struct pbd_captures {
	struct pbd_capture *list; /* in start order */
	unsigned n, next_id;
	int efd;
};

/* ---- The producer: the worker that owns the port. ---- */

static void wake_writer(struct pbd_capture *c)
{
	uint64_t one = 1;

	if (write(c->efd, &one, sizeof(one)) < 0) {
		/* the counter is full: the writer is awake anyway */
	}
}

static void produce(struct pbd_capture *c, unsigned dir, const struct pb_frame *f, unsigned n,
		    uint64_t now)
{
	if (!(c->dir & dir) || PBD_PEEK(c->ended))
		return;
	const uint64_t size = c->mask + 1;
	const uint32_t flags = dir == PBD_CAP_RX ? PBD_PCAPNG_FLAG_IN : PBD_PCAPNG_FLAG_OUT;
	uint64_t head = c->head, tail = PBD_LOAD(c->tail), lost = 0;

	for (unsigned i = 0; i < n; i++) {
		if (c->count && c->taken >= c->count)
			break;
		uint32_t cap = f[i].len < c->snaplen ? f[i].len : c->snaplen;
		uint64_t need = REC_LEN(cap), off = head & c->mask;
		uint64_t skip = size - off < need ? size - off : 0;
		if (head + skip + need - tail > size) {
			lost++;
			continue;
		}
		if (skip) {
			if (skip >= sizeof(struct rec)) {
				struct rec m = {.caplen = REC_WRAP};
				memcpy(c->ring + off, &m, sizeof(m));
			}
			head += skip;
			off = 0;
		}
		struct rec r = {now, cap, f[i].len, flags, 0};
		memcpy(c->ring + off, &r, sizeof(r));
		memcpy(c->ring + off + sizeof(r), f[i].data, cap);
		head += need;
		c->taken++;
	}
	if (lost)
		PBD_SET(c->dropped, c->dropped + lost);
	if (head == c->head)
		return;
	PBD_STORE(c->head, head); /* pairs with the writer's acquire of head */
	/* Publish, then look whether the writer sleeps; it says so, then looks
	 * at head again (writer_wait()). Store-load on both sides. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (PBD_PEEK(c->sleeping)) {
		PBD_SET(c->sleeping, false);
		wake_writer(c);
	}
}

void pbd_capture_burst(const struct pbd_capset *s, unsigned dir, const struct pb_frame *f,
		       unsigned n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts); /* once per burst */
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (unsigned i = 0; i < s->n; i++)
		produce(s->c[i], dir, f, n, now);
}

/* ---- The writer thread. ---- */

static int fail_errno(struct pbd_capture *c, int e, const char *what)
{
	snprintf(c->error, sizeof(c->error), "%s: %s", what, strerror(e));
	return -e;
}

/* Write @len bytes to the file. A pipe's or a socket's reader gets at most
 * PIPE_CHUNK bytes per write, and only when poll() says there is room, so
 * the thread is never stuck in write() when a stop comes. */
static int out(struct pbd_capture *c, const uint8_t *p, size_t len)
{
	uint64_t waited_from = 0;

	while (len) {
		if (!c->regular) {
			struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
			int r = poll(&pfd, 1, 100);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return fail_errno(c, errno, "poll");
			if (r == 0) {
				uint64_t now = pbd_now_ns();
				if (!PBD_LOAD(c->stop))
					continue;
				if (!waited_from)
					waited_from = now;
				if (now - waited_from > STOP_GRACE_NS) {
					snprintf(c->error, sizeof(c->error),
						 "stopped while the reader made no room for 1 s");
					return -ETIMEDOUT;
				}
				continue;
			}
			if (!(pfd.revents & POLLOUT))
				return fail_errno(c, EPIPE, "writing");
		}
		size_t chunk = c->regular || len < PIPE_CHUNK ? len : PIPE_CHUNK;
		ssize_t n = write(c->fd, p, chunk);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return fail_errno(c, errno,
					  errno == EPIPE ? "the reader went away" : "writing");
		p += n;
		len -= (size_t)n;
		c->file_bytes += (uint64_t)n;
		PBD_SET(c->bytes, c->bytes + (uint64_t)n);
		waited_from = 0;
	}
	return 0;
}

static int flush(struct pbd_capture *c)
{
	int r = out(c, c->obuf, c->olen);

	if (r == 0)
		PBD_SET(c->frames, c->frames + c->ofr);
	c->ofr = 0;
	c->olen = 0;
	return r;
}

static void ring_name(const struct pbd_capture *c, unsigned i, char *buf, size_t len)
{
	if (c->cfg.ring_files)
		snprintf(buf, len, "%s.%u", c->file, i);
	else
		snprintf(buf, len, "%s", c->file);
}

static int open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);

	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

static void begin_file(struct pbd_capture *c)
{
	char app[64];

	snprintf(app, sizeof(app), "patchbayd %s", pb_version());
	c->olen += pbd_pcapng_header(c->obuf + c->olen, app, c->port_name, c->snaplen);
	c->file_bytes = 0;
	c->file_frames = 0;
}

/* The next file of the ring, emptied. */
static int rotate(struct pbd_capture *c)
{
	char path[PATH_MAX + 16];
	int r;

	if ((r = flush(c)) < 0)
		return r;
	close(c->fd);
	c->fd = -1;
	unsigned next = (c->file_index + 1) % c->cfg.ring_files;
	ring_name(c, next, path, sizeof(path));
	int fd = open_file(path, c->error, sizeof(c->error));
	if (fd < 0)
		return fd;
	c->fd = fd;
	PBD_SET(c->file_index, next);
	begin_file(c);
	return 0;
}

/* Turn records [tail, head) into EPBs in obuf, until obuf is full or the
 * count is reached; returns the new tail. */
static uint64_t consume(struct pbd_capture *c, uint64_t tail, uint64_t head, int *err)
{
	const uint64_t size = c->mask + 1;

	while (tail != head) {
		uint64_t off = tail & c->mask;
		struct rec r;
		if (size - off < sizeof(r)) {
			tail += size - off;
			continue;
		}
		memcpy(&r, c->ring + off, sizeof(r));
		if (r.caplen == REC_WRAP) {
			tail += size - off;
			continue;
		}
		size_t blen = PBD_PCAPNG_EPB_LEN(r.caplen);
		if (c->cfg.ring_files && c->file_frames &&
		    c->file_bytes + c->olen + blen > c->cfg.ring_size && (*err = rotate(c)) < 0)
			return tail;
		if (c->olen + blen > OBUF_SIZE)
			return tail; /* flushed by the caller, then on */
		c->olen += pbd_pcapng_epb(c->obuf + c->olen, r.ts_ns, c->ring + off + sizeof(r),
					  r.caplen, r.origlen, r.flags);
		c->file_frames++;
		c->ofr++;
		c->made++;
		tail += REC_LEN(r.caplen);
		if (c->count && c->made >= c->count)
			break;
	}
	return tail;
}

/* Sleep until the producer publishes, a stop, or 100 ms. */
static void writer_wait(struct pbd_capture *c, uint64_t tail)
{
	PBD_SET(c->sleeping, true);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* pairs with produce()'s */
	if (PBD_LOAD(c->head) == tail && !PBD_LOAD(c->stop)) {
		struct pollfd pfd = {.fd = c->efd, .events = POLLIN};
		uint64_t v;
		if (poll(&pfd, 1, 100) > 0 && read(c->efd, &v, sizeof(v)) < 0) {
			/* nothing to read: woken by a stop */
		}
	}
	PBD_SET(c->sleeping, false);
}

static void finish(struct pbd_capture *c, enum cap_state st)
{
	if (c->fd >= 0)
		close(c->fd); /* a pipe's reader sees the end now, not at the join */
	c->fd = -1;
	PBD_STORE(c->state, (int)st);
	PBD_STORE(c->ended, true);
	uint64_t one = 1;
	if (write(c->reap_efd, &one, sizeof(one)) < 0) {
		/* the counter is full: control reaps anyway */
	}
}

static void *writer_main(void *arg)
{
	struct pbd_capture *c = arg;
	uint64_t tail = c->tail;
	int r = 0;

	begin_file(c);
	for (;;) {
		uint64_t head = PBD_LOAD(c->head); /* pairs with produce()'s release */
		if (head != tail) {
			tail = consume(c, tail, head, &r);
			PBD_STORE(c->tail, tail); /* the records are copied out */
			if (r < 0 || (r = flush(c)) < 0)
				break;
			if (c->count && c->made >= c->count)
				break;
			continue;
		}
		if ((r = flush(c)) < 0)
			break;
		/* Stopping: the hook is off (control made sure no worker can be
		 * in produce()), so head is final and the ring is drained. */
		if (PBD_LOAD(c->stop))
			break;
		writer_wait(c, tail);
	}
	if (r < 0) {
		LOGW("capture", "capture %u of %s: %s", c->id, c->port_name, c->error);
		finish(c, r == -ETIMEDOUT ? ST_STOPPED : ST_FAILED);
	} else {
		finish(c, PBD_LOAD(c->stop) ? ST_STOPPED : ST_DONE);
	}
	return NULL;
}

/* ---- The control thread. ---- */

int pbd_capture_init(struct pbd_panel *pn)
{
	if (pn->captures)
		return 0;
	struct pbd_captures *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0) {
		int e = errno;
		free(r);
		return -e;
	}
	r->next_id = 1;
	pn->captures = r;
	return 0;
}

int pbd_capture_event_fd(struct pbd_panel *pn)
{
	return pn->captures ? pn->captures->efd : -1;
}

/* Replace @p's list of captures by the old one with @add and without
 * @remove; the old list is freed once no worker can be reading it. */
static int set_hook(struct pbd_panel *pn, struct pbd_port *p, struct pbd_capture *add,
		    const struct pbd_capture *remove)
{
	struct pbd_capset *old = p->cap, *s;
	unsigned n = old ? old->n : 0;

	s = malloc(sizeof(*s) + (n + 1) * sizeof(s->c[0]));
	if (!s)
		return -ENOMEM;
	s->n = 0;
	for (unsigned i = 0; i < n; i++)
		if (old->c[i] != remove)
			s->c[s->n++] = old->c[i];
	if (add)
		s->c[s->n++] = add;
	if (!s->n) {
		free(s);
		s = NULL; /* no capture: the worker's branch is not taken */
	}
	PBD_STORE(p->cap, s);
	pbd_panel_sync(pn);
	free(old);
	return 0;
}

static unsigned port_captures(const struct pbd_port *p)
{
	const struct pbd_capset *s = p->cap;

	return s ? s->n : 0;
}

static void free_capture(struct pbd_capture *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->efd >= 0)
		close(c->efd);
	free(c->ring);
	free(c->obuf);
	free(c);
}

static void unhook(struct pbd_panel *pn, struct pbd_capture *c)
{
	if (!c->hooked)
		return;
	if (set_hook(pn, c->port, NULL, c) < 0) {
		/* No memory for the smaller list: take every capture of the port
		 * off the data path (the others stay listed, and get no more). */
		struct pbd_capset *old = c->port->cap;
		PBD_STORE(c->port->cap, NULL);
		pbd_panel_sync(pn);
		for (unsigned i = 0; old && i < old->n; i++)
			old->c[i]->hooked = false;
		free(old);
	}
	c->hooked = false;
}

/* Take the hook off, let the writer drain and leave, join it. */
static void stop_one(struct pbd_panel *pn, struct pbd_capture *c)
{
	unhook(pn, c);
	if (c->joined)
		return;
	c->stop_ns = pbd_now_ns();
	PBD_STORE(c->stop, true); /* after the sync: head is final */
	wake_writer(c);
	pthread_join(c->thread, NULL);
	c->joined = true;
	/* Off the data path and joined: both counts are final. What was taken
	 * and never written (a write failed, a reader stopped reading) is lost
	 * too, and shown with the drops. */
	c->unwritten = c->taken - c->frames;
}

static void unlink_capture(struct pbd_captures *r, struct pbd_capture *c)
{
	for (struct pbd_capture **pp = &r->list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			r->n--;
			return;
		}
	}
}

/* Room for one more: the oldest ended capture goes if need be. */
static bool make_room(struct pbd_captures *r)
{
	if (r->n < PBD_CAPTURE_MAX)
		return true;
	for (struct pbd_capture *c = r->list; c; c = c->next) {
		if (c->joined && !c->conn) {
			unlink_capture(r, c);
			free_capture(c);
			return true;
		}
	}
	return false;
}

static uint64_t pow2_floor(uint64_t v)
{
	uint64_t p = 1;

	while (p <= v / 2)
		p *= 2;
	return p;
}

static int check_fd(int fd, char *err, size_t errlen)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
		snprintf(err, errlen, "the file descriptor passed is not open for writing");
		return -EBADF;
	}
	return 0;
}

static struct pbd_capture *new_capture(const struct pbd_capture_cfg *cfg, char *err, size_t errlen)
{
	struct pbd_capture *c = aligned_alloc(64, (sizeof(*c) + 63) & ~(size_t)63);

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->fd = c->efd = -1;
	c->cfg = *cfg;
	c->dir = cfg->dir;
	c->snaplen = cfg->snaplen;
	c->count = cfg->count;
	uint64_t size = pow2_floor(cfg->buffer < 65536 ? 65536 : cfg->buffer);
	c->mask = size - 1;
	c->ring = malloc(size);
	c->obuf = malloc(OBUF_SIZE);
	c->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!c->ring || !c->obuf || c->efd < 0) {
		snprintf(err, errlen, "out of memory (a %llu-byte capture buffer)",
			 (unsigned long long)size);
		free_capture(c);
		return NULL;
	}
	/* Touched now, so the worker never takes a page fault on it. */
	memset(c->ring, 0, size);
	return c;
}

int pbd_capture_start(struct pbd_panel *pn, struct pbd_port *p, const char *file, int fd,
		      const struct pbd_capture_cfg *cfg, uint64_t conn, unsigned *id, char *err,
		      size_t errlen)
{
	struct pbd_captures *r;
	int e;

	if ((e = pbd_capture_init(pn)) < 0) {
		snprintf(err, errlen, "capture: %s", strerror(-e));
		goto close_fd;
	}
	r = pn->captures;
	if (strlen(file) >= PATH_MAX - 8) {
		snprintf(err, errlen, "file name too long");
		e = -EINVAL;
		goto close_fd;
	}
	if (port_captures(p) >= PBD_CAPTURE_PER_PORT) {
		snprintf(err, errlen, "%s is already under %d captures", p->name,
			 PBD_CAPTURE_PER_PORT);
		e = -EBUSY;
		goto close_fd;
	}
	if (!make_room(r)) {
		snprintf(err, errlen, "%d captures are running: stop one first", PBD_CAPTURE_MAX);
		e = -EBUSY;
		goto close_fd;
	}
	if (fd >= 0 && (e = check_fd(fd, err, errlen)) < 0)
		goto close_fd;
	struct pbd_capture *c = new_capture(cfg, err, errlen);
	if (!c) {
		e = -ENOMEM;
		goto close_fd;
	}
	snprintf(c->file, sizeof(c->file), "%s", file);
	snprintf(c->port_name, sizeof(c->port_name), "%s", p->name);
	if (fd < 0) {
		char path[PATH_MAX + 16];
		ring_name(c, 0, path, sizeof(path));
		if ((fd = open_file(path, err, errlen)) < 0) {
			free_capture(c);
			return fd;
		}
	}
	struct stat st;
	c->fd = fd;
	c->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	c->id = r->next_id++;
	c->port = p;
	c->conn = conn;
	c->reap_efd = r->efd;
	c->started_ns = pbd_now_ns();
	char name[16];
	snprintf(name, sizeof(name), "pb-cap%u", c->id % 100000);
	if ((e = -pthread_create(&c->thread, NULL, writer_main, c)) < 0) {
		snprintf(err, errlen, "starting the writer thread: %s", strerror(-e));
		free_capture(c);
		return e;
	}
	pthread_setname_np(c->thread, name);
	if ((e = set_hook(pn, p, c, NULL)) < 0) {
		snprintf(err, errlen, "out of memory");
		stop_one(pn, c);
		free_capture(c);
		return e;
	}
	c->hooked = true;
	c->next = NULL;
	struct pbd_capture **tailp = &r->list;
	while (*tailp)
		tailp = &(*tailp)->next;
	*tailp = c;
	r->n++;
	*id = c->id;
	LOGI("capture", "capture %u: %s to %s", c->id, p->name, file);
	return 0;
close_fd:
	if (fd >= 0)
		close(fd);
	return e;
}

static json_t *capture_json(const struct pbd_capture *c)
{
	static const char *const dirs[] = {"", "rx", "tx", "both"};
	int st = PBD_LOAD(c->state);
	json_t *o =
	    json_pack("{s:i, s:s, s:s, s:s, s:i, s:s, s:b}", "id", (int)c->id, "port", c->port_name,
		      "file", c->file, "dir", dirs[c->cfg.dir & 3], "snaplen", (int)c->cfg.snaplen,
		      "state", state_names[st], "attached", c->conn != 0);

	json_object_set_new(o, "count", json_integer((json_int_t)c->cfg.count));
	json_object_set_new(o, "frames", json_integer((json_int_t)PBD_PEEK(c->frames)));
	json_object_set_new(o, "bytes", json_integer((json_int_t)PBD_PEEK(c->bytes)));
	json_object_set_new(o, "dropped",
			    json_integer((json_int_t)(PBD_PEEK(c->dropped) + c->unwritten)));
	json_object_set_new(o, "buffer", json_integer((json_int_t)(c->mask + 1)));
	if (c->cfg.ring_files) {
		json_object_set_new(
		    o, "ring",
		    json_pack("{s:I, s:i, s:i}", "size", (json_int_t)c->cfg.ring_size, "files",
			      (int)c->cfg.ring_files, "current", (int)PBD_PEEK(c->file_index)));
	}
	if (st == ST_FAILED || (st == ST_STOPPED && c->error[0]))
		json_object_set_new(o, "error", json_string(c->error));
	json_object_set_new(o, "elapsed_ns",
			    json_integer((json_int_t)(pbd_now_ns() - c->started_ns)));
	return o;
}

json_t *pbd_capture_list(struct pbd_panel *pn)
{
	json_t *a = json_array();

	for (struct pbd_capture *c = pn->captures ? pn->captures->list : NULL; c; c = c->next)
		json_array_append_new(a, capture_json(c));
	return a;
}

unsigned pbd_capture_stop(struct pbd_panel *pn, unsigned id, const struct pbd_port *port,
			  json_t *out)
{
	struct pbd_captures *r = pn->captures;
	unsigned n = 0;

	for (struct pbd_capture *c = r ? r->list : NULL, *next; c; c = next) {
		next = c->next;
		if (id ? c->id != id : port && c->port != port)
			continue;
		stop_one(pn, c);
		if (out)
			json_array_append_new(out, capture_json(c));
		LOGI("capture", "capture %u of %s stopped: %llu frames, %llu dropped", c->id,
		     c->port_name, (unsigned long long)c->frames,
		     (unsigned long long)(c->dropped + c->unwritten));
		unlink_capture(r, c);
		free_capture(c);
		n++;
	}
	return n;
}

void pbd_capture_conn_closed(struct pbd_panel *pn, uint64_t conn)
{
	struct pbd_captures *r = pn->captures;

	for (struct pbd_capture *c = r ? r->list : NULL, *next; c; c = next) {
		next = c->next;
		if (c->conn == conn)
			pbd_capture_stop(pn, c->id, NULL, NULL);
	}
}

void pbd_capture_port_gone(struct pbd_panel *pn, struct pbd_port *p)
{
	struct pbd_captures *r = pn->captures;

	for (struct pbd_capture *c = r ? r->list : NULL; c; c = c->next) {
		if (c->port != p)
			continue;
		bool running = !c->joined;
		stop_one(pn, c);
		if (running) {
			snprintf(c->error, sizeof(c->error), "the port was deleted");
			PBD_STORE(c->state, (int)ST_STOPPED);
		}
		c->port = NULL;
	}
}

void pbd_capture_reap(struct pbd_panel *pn)
{
	struct pbd_captures *r = pn->captures;
	uint64_t v;

	if (!r)
		return;
	if (read(r->efd, &v, sizeof(v)) < 0) {
		/* nothing pending: a spurious call */
	}
	for (struct pbd_capture *c = r->list; c; c = c->next)
		if (!c->joined && PBD_LOAD(c->ended))
			stop_one(pn, c);
}

void pbd_capture_fini(struct pbd_panel *pn)
{
	struct pbd_captures *r = pn->captures;

	if (!r)
		return;
	pbd_capture_stop(pn, 0, NULL, NULL);
	close(r->efd);
	free(r);
	pn->captures = NULL;
}
