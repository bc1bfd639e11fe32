/* SPDX-License-Identifier: MIT */
/*
 * test_frontend.c - the vhost-user front-end against a scripted fake
 * back-end running in a thread on a socket in a temp dir.
 *
 * The fake records every request, keeps the fds it is given, answers as the
 * script says, and posts `ready` when the device would be ready by DPDK's
 * rule (both rings: addresses, kick, call, enabled; DRIVER_OK if STATUS).
 * The tests then look at what it was given: the message sequence, the memfd
 * (size, seals, contents through our own mapping of it), the acks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stddef.h>
#include <cmocka.h>

#include <patchbay/patchbay.h>

#include "mem/shm.h"
#include "util/sock.h"
#include "vhost/codec.h"
#include "vhost/frontend.h"

#define QSIZE	  64
#define MAX_REQS  64
#define MAX_SESS  3
#define STATUS_OK 4u /* DRIVER_OK */

#define ALL_PF                                                                                     \
	(PB_BIT(VHOST_USER_PROTOCOL_F_MQ) | PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) |              \
	 PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) | PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) |            \
	 PB_BIT(VHOST_USER_PROTOCOL_F_STATUS) | PB_BIT(VHOST_USER_PROTOCOL_F_BACKEND_REQ))
#define DPDK_LIKE_F                                                                                \
	(PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES) |                     \
	 PB_BIT(VIRTIO_NET_F_MRG_RXBUF) | PB_BIT(VIRTIO_RING_F_EVENT_IDX) |                        \
	 PB_BIT(VIRTIO_NET_F_MTU) | PB_BIT(VIRTIO_NET_F_MAC) | PB_BIT(VIRTIO_F_RING_PACKED) |      \
	 PB_BIT(VIRTIO_NET_F_CTRL_VQ))

/* What one session of the fake was given. */
struct rec {
	uint32_t req[MAX_REQS];
	uint32_t flags[MAX_REQS];
	int n;
	uint64_t features, pf, status, mtu;
	bool got_features, got_pf, got_mtu;
	uint32_t nregions;
	struct pb_vu_mem_region region;
	int memfd;
	uint32_t num[2], base[2];
	struct pb_vu_vring_addr addr[2];
	bool has_addr[2], enabled[2], stopped[2];
	int kickfd[2], callfd[2];
	bool ready;
};

struct fake {
	/* script */
	uint64_t features, pf;
	uint32_t silent_request;      /* never answered, nor anything after it */
	uint32_t features_reply_size; /* 0: the right 8 */
	uint32_t reply_delay_ms;      /* before every reply */
	uint32_t nack_request;
	bool have_config;
	struct virtio_net_config config;
	bool is_client; /* connect to the front-end (it listens) */
	int sessions;
	bool unsolicited; /* send a stray message once ready */
	/* running */
	char dir[64], path[108];
	int listen_fd;
	pthread_t thr;
	atomic_bool close_now;
	atomic_bool quit;
	sem_t ready, ended;
	int cur;
	struct rec rec[MAX_SESS];
};

/* ---- log capture ------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[8192];

__attribute__((format(printf, 2, 0))) static void capture_log(enum pb_log_level level,
							      const char *fmt, va_list ap)
{
	char line[512];

	(void)level;
	vsnprintf(line, sizeof(line), fmt, ap);
	pthread_mutex_lock(&log_lock);
	size_t len = strlen(log_buf);
	snprintf(log_buf + len, sizeof(log_buf) - len, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
	if (getenv("PB_TEST_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

static bool log_has(const char *s)
{
	pthread_mutex_lock(&log_lock);
	bool r = strstr(log_buf, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return r;
}

/* ---- the fake back-end ------------------------------------------------- */

/* cmocka's asserts may not run in the fake's thread: it counts its own
 * failures here, and fake_finish() asserts there were none. */
static atomic_int fake_errors;

static void fake_check(bool ok)
{
	if (!ok)
		atomic_fetch_add(&fake_errors, 1);
}

static uint32_t reply_delay_ms; /* of the running fake */

static void reply(struct pb_vu_conn *c, uint32_t req, const void *payload, uint32_t size)
{
	struct pb_vu_msg m;

	if (reply_delay_ms)
		usleep(reply_delay_ms * 1000);

	pb_vu_msg_set(&m, req, VHOST_USER_REPLY_MASK, size);
	memcpy(m.payload.raw, payload, size);
	fake_check(pb_vu_conn_send(c, &m) == 0);
}

static void reply_u64(struct pb_vu_conn *c, uint32_t req, uint64_t v)
{
	reply(c, req, &v, sizeof(v));
}

/* Take fd 0 of @m (the fake keeps it until the test is done). */
static int take_fd(struct pb_vu_msg *m)
{
	if (m->nfds == 0)
		return -1;
	int fd = m->fds[0];
	m->fds[0] = -1;
	return fd;
}

static void keep_fd(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

/* DPDK's readiness rule (virtio_is_ready in lib/vhost). */
static bool device_ready(const struct rec *r)
{
	bool pfeat = r->features & PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES);

	for (int i = 0; i < 2; i++) {
		if (!r->has_addr[i] || r->kickfd[i] < 0 || r->callfd[i] < 0)
			return false;
		if (pfeat && !r->enabled[i])
			return false;
	}
	if ((r->pf & PB_BIT(VHOST_USER_PROTOCOL_F_STATUS)) && !(r->status & STATUS_OK))
		return false;
	return true;
}

/* Handle one request. Returns false to stop answering (silent back-end). */
static bool fake_handle(struct fake *f, struct rec *r, struct pb_vu_conn *c, struct pb_vu_msg *m)
{
	uint32_t req = m->hdr.request;
	uint32_t idx = m->payload.state.index & 1;
	bool has_reply = false;

	if (r->n < MAX_REQS) {
		r->req[r->n] = req;
		r->flags[r->n] = m->hdr.flags;
		r->n++;
	}
	if (req == f->silent_request) {
		pb_vu_msg_close_fds(m);
		return false;
	}
	switch (req) {
	case VHOST_USER_GET_FEATURES:
		reply(c, req, &f->features, f->features_reply_size ? f->features_reply_size : 8);
		has_reply = true;
		break;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		reply_u64(c, req, f->pf);
		has_reply = true;
		break;
	case VHOST_USER_SET_FEATURES:
		r->features = m->payload.u64;
		r->got_features = true;
		break;
	case VHOST_USER_SET_PROTOCOL_FEATURES:
		r->pf = m->payload.u64;
		r->got_pf = true;
		break;
	case VHOST_USER_GET_CONFIG: {
		struct pb_vu_config cfg = m->payload.config;
		memcpy(cfg.region, &f->config, sizeof(f->config));
		reply(c, req, &cfg, f->have_config ? PB_VU_CONFIG_HDR_SIZE + cfg.size : 0);
		has_reply = true;
		break;
	}
	case VHOST_USER_SET_STATUS:
		r->status = m->payload.u64;
		break;
	case VHOST_USER_GET_STATUS:
		reply_u64(c, req, r->status);
		has_reply = true;
		break;
	case VHOST_USER_NET_SET_MTU:
		r->mtu = m->payload.u64;
		r->got_mtu = true;
		break;
	case VHOST_USER_SET_MEM_TABLE:
		r->nregions = m->payload.memory.nregions;
		r->region = m->payload.memory.regions[0];
		keep_fd(&r->memfd, take_fd(m));
		break;
	case VHOST_USER_SET_VRING_NUM:
		r->num[idx] = m->payload.state.num;
		break;
	case VHOST_USER_SET_VRING_BASE:
		r->base[idx] = m->payload.state.num;
		break;
	case VHOST_USER_SET_VRING_ADDR:
		idx = m->payload.addr.index & 1;
		r->addr[idx] = m->payload.addr;
		r->has_addr[idx] = true;
		break;
	case VHOST_USER_SET_VRING_KICK:
		idx = m->payload.u64 & 1;
		keep_fd(&r->kickfd[idx], take_fd(m));
		if (!(r->features & PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES)))
			r->enabled[idx] = true;
		break;
	case VHOST_USER_SET_VRING_CALL:
		keep_fd(&r->callfd[m->payload.u64 & 1], take_fd(m));
		break;
	case VHOST_USER_SET_VRING_ENABLE:
		r->enabled[idx] = m->payload.state.num;
		break;
	case VHOST_USER_GET_VRING_BASE: {
		struct pb_vu_vring_state st = {.index = m->payload.state.index, .num = 0};
		r->stopped[idx] = true;
		reply(c, req, &st, sizeof(st));
		has_reply = true;
		break;
	}
	}
	pb_vu_msg_close_fds(m);
	if ((m->hdr.flags & VHOST_USER_NEED_REPLY) && !has_reply)
		reply_u64(c, req, req == f->nack_request ? 1 : 0);
	if (!r->ready && device_ready(r)) {
		r->ready = true;
		if (f->unsolicited) {
			struct pb_vu_msg u;
			pb_vu_msg_set(&u, VHOST_USER_GET_FEATURES, 0, 0);
			fake_check(pb_vu_conn_send(c, &u) == 0);
		}
		sem_post(&f->ready);
	}
	return true;
}

static int fake_get_conn(struct fake *f)
{
	for (int tries = 0; tries < 500 && !atomic_load(&f->quit); tries++) {
		int fd = f->is_client ? pb_sock_connect(f->path) : pb_sock_accept(f->listen_fd);
		if (fd >= 0)
			return fd;
		usleep(10000);
	}
	return -1;
}

/* Serve one session until the front-end hangs up or the test says close. */
static void fake_session(struct fake *f, struct rec *r, int fd)
{
	struct pb_vu_conn c;
	struct pb_vu_msg m;
	bool answering = true;

	pb_vu_conn_init(&c, fd);
	while (!atomic_load(&f->close_now) && !atomic_load(&f->quit)) {
		int rc = pb_vu_conn_recv_wait(&c, &m, 20);
		if (rc == -ETIMEDOUT)
			continue;
		if (rc < 0)
			break;
		if (answering)
			answering = fake_handle(f, r, &c, &m);
		else
			pb_vu_msg_close_fds(&m);
	}
	pb_vu_conn_close(&c);
	atomic_store(&f->close_now, false);
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (f->cur = 0; f->cur < f->sessions; f->cur++) {
		int fd = fake_get_conn(f);
		if (fd < 0)
			break;
		fake_session(f, &f->rec[f->cur], fd);
		sem_post(&f->ended);
	}
	return NULL;
}

static void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->memfd = -1;
	r->kickfd[0] = r->kickfd[1] = r->callfd[0] = r->callfd[1] = -1;
}

/* Make the temp dir; a server fake listens now, before the front-end. */
static void fake_prepare(struct fake *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/pb-fe-test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vhost.sock", f->dir);
	for (int i = 0; i < MAX_SESS; i++)
		rec_init(&f->rec[i]);
	sem_init(&f->ready, 0, 0);
	sem_init(&f->ended, 0, 0);
	f->listen_fd = -1;
	if (!f->is_client) {
		f->listen_fd = pb_sock_listen(f->path);
		assert_true(f->listen_fd >= 0);
	}
	if (f->sessions == 0)
		f->sessions = 1;
	reply_delay_ms = f->reply_delay_ms;
	assert_int_equal(pthread_create(&f->thr, NULL, fake_main, f), 0);
}

static void fake_finish(struct fake *f)
{
	atomic_store(&f->quit, true);
	pthread_join(f->thr, NULL);
	reply_delay_ms = 0;
	for (int i = 0; i < MAX_SESS; i++) {
		struct rec *r = &f->rec[i];
		int fds[] = {r->memfd, r->kickfd[0], r->kickfd[1], r->callfd[0], r->callfd[1]};
		for (size_t j = 0; j < PB_ARRAY_SIZE(fds); j++)
			if (fds[j] >= 0)
				close(fds[j]);
	}
	if (f->listen_fd >= 0)
		close(f->listen_fd);
	unlink(f->path);
	rmdir(f->dir);
	sem_destroy(&f->ready);
	sem_destroy(&f->ended);
	assert_int_equal(atomic_exchange(&fake_errors, 0), 0);
}

static bool sem_wait_ms(sem_t *s, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (sem_timedwait(s, &ts) < 0)
		if (errno != EINTR)
			return false;
	return true;
}

/* ---- helpers on the front-end side ------------------------------------- */

/* Open descriptors of this process: fini must give back all of ours. */
static int count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static struct pb_vhost_frontend_cfg make_cfg(const char *path, bool server)
{
	return (struct pb_vhost_frontend_cfg){
	    .path = path,
	    .server = server,
	    .queue_size = QSIZE,
	    .mtu = 1500,
	    .features = PB_VNET_FEATURES,
	    .reconnect_ms = 50,
	};
}

/* Sleep in epoll as an app would, dispatching, until fe->up == @want. */
static bool dispatch_until(struct pb_vhost_frontend *fe, int epfd, bool want, int ms)
{
	uint64_t end = pb_now_ns() + (uint64_t)ms * 1000000ULL;

	while (fe->up != want && pb_now_ns() < end) {
		struct epoll_event ev[8];
		epoll_wait(epfd, ev, 8, 20);
		assert_int_equal(pb_vhost_frontend_dispatch(fe), 0);
	}
	return fe->up == want;
}

/* The memfd the back-end was given, mapped as the back-end would. */
struct view {
	uint8_t *base;
	size_t size;
	uint64_t uaddr;
};

static void *xlate(const struct view *v, uint64_t addr, size_t len)
{
	assert_true(addr >= v->uaddr);
	assert_true(addr - v->uaddr + len <= v->size);
	return v->base + (addr - v->uaddr);
}

static struct view map_region(const struct rec *r)
{
	struct view v = {0};
	struct stat st;

	assert_int_equal(r->nregions, 1);
	assert_true(r->memfd >= 0);
	assert_int_equal(fstat(r->memfd, &st), 0);
	assert_int_equal((uint64_t)st.st_size, r->region.memory_size);
	assert_int_equal(r->region.mmap_offset, 0);
	assert_int_equal(r->region.guest_phys_addr, r->region.userspace_addr);
	int seals = fcntl(r->memfd, F_GET_SEALS);
	assert_true(seals >= 0);
	assert_true(seals & F_SEAL_GROW);
	assert_true(seals & F_SEAL_SHRINK);
	assert_true(seals & F_SEAL_SEAL);
	v.size = r->region.memory_size;
	v.uaddr = r->region.userspace_addr;
	v.base = mmap(NULL, v.size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
	assert_true(v.base != MAP_FAILED);
	return v;
}

/* Through the back-end's own mapping: ring @i as handed over. */
static void check_ring(const struct rec *r, const struct view *v, int i, bool rx)
{
	const struct pb_vu_vring_addr *a = &r->addr[i];
	struct vring_desc *desc = xlate(v, a->desc_user_addr, pb_vring_desc_size(QSIZE));
	struct vring_avail *avail = xlate(v, a->avail_user_addr, pb_vring_avail_size(QSIZE));
	struct vring_used *used = xlate(v, a->used_user_addr, pb_vring_used_size(QSIZE));

	assert_int_equal(r->num[i], QSIZE);
	assert_int_equal(r->base[i], 0);
	assert_int_equal(used->idx, 0);
	assert_int_equal(avail->idx, rx ? QSIZE : 0);
	for (uint16_t k = 0; rx && k < QSIZE; k++) {
		uint16_t id = avail->ring[k];
		assert_true(id < QSIZE);
		assert_true(desc[id].flags & VRING_DESC_F_WRITE);
		assert_true(desc[id].len >= PB_VNET_HDR_LEN + 1500 + PB_ETH_OVERHEAD);
		/* The buffer is guest memory the back-end can reach. */
		(void)xlate(v, desc[id].addr, desc[id].len);
	}
}

static int find_req(const struct rec *r, uint32_t req, int from)
{
	for (int i = from; i < r->n; i++)
		if (r->req[i] == req)
			return i;
	return -1;
}

/* ---- tests ------------------------------------------------------------- */

/* The whole sequence against a back-end offering everything DPDK does
 * and more: what is asked, in which order, with which acks. */
static void test_setup_sequence(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .pf = ALL_PF, .have_config = true};
	struct pb_vhost_frontend fe;
	static const uint32_t want[] = {
	    VHOST_USER_SET_OWNER,
	    VHOST_USER_GET_FEATURES,
	    VHOST_USER_GET_PROTOCOL_FEATURES,
	    VHOST_USER_SET_PROTOCOL_FEATURES,
	    VHOST_USER_GET_CONFIG,
	    VHOST_USER_SET_FEATURES,
	    VHOST_USER_NET_SET_MTU,
	    VHOST_USER_SET_STATUS,
	    VHOST_USER_GET_STATUS,
	    VHOST_USER_SET_MEM_TABLE,
	    VHOST_USER_SET_VRING_NUM,
	    VHOST_USER_SET_VRING_BASE,
	    VHOST_USER_SET_VRING_ADDR,
	    VHOST_USER_SET_VRING_KICK,
	    VHOST_USER_SET_VRING_CALL,
	    VHOST_USER_SET_VRING_ENABLE,
	    VHOST_USER_SET_VRING_NUM,
	    VHOST_USER_SET_VRING_BASE,
	    VHOST_USER_SET_VRING_ADDR,
	    VHOST_USER_SET_VRING_KICK,
	    VHOST_USER_SET_VRING_CALL,
	    VHOST_USER_SET_VRING_ENABLE,
	    VHOST_USER_SET_STATUS,
	};
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

	int fds_before = count_fds();

	memcpy(f.config.mac, mac, 6);
	f.config.mtu = 1400;
	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_true(fe.up);
	assert_true(sem_wait_ms(&f.ready, 3000));

	struct rec *r = &f.rec[0];
	assert_int_equal(r->n, (int)PB_ARRAY_SIZE(want));
	assert_false(r->stopped[0] || r->stopped[1]);
	for (size_t i = 0; i < PB_ARRAY_SIZE(want); i++) {
		assert_int_equal(r->req[i], want[i]);
		/* With REPLY_ACK on, every request after its negotiation that
		 * has no reply of its own asks for an ack. */
		bool get = want[i] == VHOST_USER_GET_CONFIG || want[i] == VHOST_USER_GET_STATUS ||
			   want[i] == VHOST_USER_GET_FEATURES ||
			   want[i] == VHOST_USER_GET_PROTOCOL_FEATURES;
		bool acked = i > 3 && !get;
		assert_int_equal(!!(r->flags[i] & VHOST_USER_NEED_REPLY), acked);
		assert_int_equal(r->flags[i] & VHOST_USER_VERSION_MASK, VHOST_USER_VERSION);
	}
	/* Only what we implement, only what was offered. */
	assert_int_equal(
	    r->pf, PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK) | PB_BIT(VHOST_USER_PROTOCOL_F_NET_MTU) |
		       PB_BIT(VHOST_USER_PROTOCOL_F_CONFIG) | PB_BIT(VHOST_USER_PROTOCOL_F_STATUS));
	assert_int_equal(r->features, DPDK_LIKE_F & ~(PB_BIT(VIRTIO_F_RING_PACKED) |
						      PB_BIT(VIRTIO_NET_F_CTRL_VQ)));
	assert_int_equal(fe.features, r->features);
	assert_true(r->got_mtu);
	assert_int_equal(r->mtu, 1500);
	assert_int_equal(r->status, 1 | 2 | 4 | 8);
	/* Config from the back-end, where its features make it valid. */
	assert_memory_equal(fe.config.mac, mac, 6);
	assert_int_equal(fe.config.mtu, 1400);
	assert_int_equal(fe.config.status, VIRTIO_NET_S_LINK_UP);

	struct view v = map_region(r);
	assert_int_equal(v.uaddr, (uint64_t)(uintptr_t)fe.mem);
	assert_int_equal(v.size, fe.mem_size);
	check_ring(r, &v, PB_VNET_RXQ, true);
	check_ring(r, &v, PB_VNET_TXQ, false);
	/* EVENT_IDX was negotiated: the rings were reset with it. */
	assert_true(fe.vq[0].event_idx && fe.vq[1].event_idx);

	/* The fds work: the kick we hold reaches the back-end's copy, and
	 * its call reaches ours. */
	assert_int_equal(pb_eventfd_signal(fe.vq[PB_VNET_TXQ].kickfd), 0);
	assert_true(pb_eventfd_drain(r->kickfd[PB_VNET_TXQ]));
	assert_int_equal(pb_eventfd_signal(r->callfd[PB_VNET_RXQ]), 0);
	assert_true(pb_eventfd_drain(fe.callfd[PB_VNET_RXQ]));

	munmap(v.base, v.size);
	/* Closing just hangs up: the rings are neither reused nor reset, so
	 * there is nothing to stop the back-end from reading. */
	pb_vhost_frontend_fini(&fe);
	assert_true(sem_wait_ms(&f.ended, 3000));
	assert_int_equal(r->n, (int)PB_ARRAY_SIZE(want));
	assert_false(r->stopped[0] || r->stopped[1]);
	fake_finish(&f);
	assert_int_equal(count_fds(), fds_before);
}

/* A back-end without protocol features (bit 30): no ENABLE, no acks. */
static void test_setup_minimal_backend(void **state)
{
	(void)state;
	struct fake f = {.features = PB_BIT(VIRTIO_F_VERSION_1)};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_true(fe.up);
	assert_true(sem_wait_ms(&f.ready, 3000));
	struct rec *r = &f.rec[0];
	assert_int_equal(r->n, 4 + 2 * 5);
	assert_int_equal(find_req(r, VHOST_USER_GET_PROTOCOL_FEATURES, 0), -1);
	assert_int_equal(find_req(r, VHOST_USER_SET_VRING_ENABLE, 0), -1);
	for (int i = 0; i < r->n; i++)
		assert_false(r->flags[i] & VHOST_USER_NEED_REPLY);
	assert_int_equal(r->features, PB_BIT(VIRTIO_F_VERSION_1));
	assert_false(fe.vq[0].event_idx);
	/* Synthesised config: locally administered unicast MAC, our MTU. */
	assert_int_equal(fe.config.mac[0] & 3, 2);
	assert_int_equal(fe.config.mtu, 1500);
	struct view v = map_region(r);
	check_ring(r, &v, PB_VNET_RXQ, true);
	munmap(v.base, v.size);
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* Through the back-end's own mapping: packed ring @i as handed over. */
static void check_packed_ring(const struct rec *r, const struct view *v, int i, bool rx)
{
	const struct pb_vu_vring_addr *a = &r->addr[i];
	struct vring_packed_desc *desc =
	    xlate(v, a->desc_user_addr, sizeof(struct vring_packed_desc) * QSIZE);
	uint32_t *driver_event = xlate(v, a->avail_user_addr, 4);
	uint32_t *device_event = xlate(v, a->used_user_addr, 4);
	bool seen[QSIZE] = {false};

	assert_int_equal(r->num[i], QSIZE);
	assert_int_equal(r->base[i], 0x8000); /* slot 0, wrap counter 1 */
	assert_int_equal(a->desc_user_addr % 16, 0);
	assert_int_equal(a->avail_user_addr % 4, 0);
	assert_int_equal(a->used_user_addr % 4, 0);
	/* Calls off until the app sleeps; the device's word left to it. */
	assert_int_equal(*driver_event, pb_packed_event_word(0, VRING_PACKED_EVENT_F_DISABLE));
	assert_int_equal(*device_event, 0);
	for (uint16_t k = 0; k < QSIZE; k++) {
		if (!rx) {
			assert_int_equal(desc[k].flags, 0); /* nothing available */
			continue;
		}
		/* Every RX buffer available under wrap counter 1, writable. */
		assert_int_equal(desc[k].flags, VRING_PACKED_DESC_F_AVAIL | VRING_DESC_F_WRITE);
		assert_true(desc[k].id < QSIZE && !seen[desc[k].id]);
		seen[desc[k].id] = true;
		assert_true(desc[k].len >= PB_VNET_HDR_LEN + 1500 + PB_ETH_OVERHEAD);
		(void)xlate(v, desc[k].addr, desc[k].len);
	}
}

/* cfg.packed against a back-end that offers packed rings: they are
 * negotiated, laid out and handed over in the packed format. */
static void test_setup_packed(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .pf = ALL_PF};
	struct pb_vhost_frontend fe;
	int fds_before = count_fds();

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.packed = true;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_true(fe.up);
	assert_true(fe.packed);
	assert_true(sem_wait_ms(&f.ready, 3000));
	struct rec *r = &f.rec[0];
	assert_true(r->features & PB_BIT(VIRTIO_F_RING_PACKED));
	assert_int_equal(fe.features, r->features);
	assert_true(fe.pq[0].event_idx && fe.pq[1].event_idx);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r->addr[i].desc_user_addr, (uint64_t)(uintptr_t)fe.pq[i].desc);
		assert_int_equal(r->addr[i].avail_user_addr,
				 (uint64_t)(uintptr_t)fe.pq[i].driver_event);
		assert_int_equal(r->addr[i].used_user_addr,
				 (uint64_t)(uintptr_t)fe.pq[i].device_event);
		assert_int_equal(fe.pq[i].kickfd, fe.vq[i].kickfd);
	}
	struct view v = map_region(r);
	check_packed_ring(r, &v, PB_VNET_RXQ, true);
	check_packed_ring(r, &v, PB_VNET_TXQ, false);
	assert_int_equal(pb_eventfd_signal(fe.pq[PB_VNET_TXQ].kickfd), 0);
	assert_true(pb_eventfd_drain(r->kickfd[PB_VNET_TXQ]));

	/* The data path wrote a used descriptor and broke the TX ring: the
	 * link drops, and the rings come back reset, still packed. */
	fe.pq[PB_VNET_TXQ].broken = true;
	assert_int_equal(pb_vhost_frontend_dispatch(&fe), 0);
	assert_false(fe.up);
	assert_false(fe.pq[PB_VNET_TXQ].broken);
	assert_int_equal(fe.pq[PB_VNET_RXQ].inflight, QSIZE);
	assert_int_equal(fe.pq[PB_VNET_TXQ].free.count, QSIZE);
	munmap(v.base, v.size);
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
	assert_int_equal(count_fds(), fds_before);
}

/* cfg.packed against a back-end without packed rings: split, and a word
 * in the log saying so. */
static void test_setup_packed_fallback(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F & ~PB_BIT(VIRTIO_F_RING_PACKED), .pf = ALL_PF};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.packed = true;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_true(fe.up);
	assert_false(fe.packed);
	assert_true(log_has("does not offer VIRTIO_F_RING_PACKED"));
	assert_true(sem_wait_ms(&f.ready, 3000));
	struct rec *r = &f.rec[0];
	assert_false(r->features & PB_BIT(VIRTIO_F_RING_PACKED));
	struct view v = map_region(r);
	check_ring(r, &v, PB_VNET_RXQ, true);
	check_ring(r, &v, PB_VNET_TXQ, false);
	munmap(v.base, v.size);
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* A refused request (ack != 0) fails the set-up there and then. */
static void test_nack_fails_setup(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F,
			 .pf = PB_BIT(VHOST_USER_PROTOCOL_F_REPLY_ACK),
			 .nack_request = VHOST_USER_SET_MEM_TABLE};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.reconnect_ms = 60000; /* no retry during the test */
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_false(fe.up);
	assert_int_equal(fe.peer_errors, 1);
	assert_int_equal(fe.connects, 0);
	/* The front-end hung up: the fake's session ends. */
	assert_true(sem_wait_ms(&f.ended, 3000));
	struct rec *r = &f.rec[0];
	assert_int_equal(r->req[r->n - 1], VHOST_USER_SET_MEM_TABLE);
	assert_int_equal(find_req(r, VHOST_USER_SET_VRING_NUM, 0), -1);
	assert_true(log_has("refused SET_MEM_TABLE"));
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* No VERSION_1: give up after GET_FEATURES, and say why. */
static void test_requires_version_1(void **state)
{
	(void)state;
	struct fake f = {.features = PB_BIT(VIRTIO_NET_F_MRG_RXBUF) |
				     PB_BIT(VHOST_USER_F_PROTOCOL_FEATURES)};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.reconnect_ms = 60000;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_false(fe.up);
	assert_int_equal(fe.peer_errors, 1);
	assert_true(sem_wait_ms(&f.ended, 3000));
	assert_int_equal(f.rec[0].n, 2);
	assert_int_equal(f.rec[0].req[1], VHOST_USER_GET_FEATURES);
	assert_true(log_has("VIRTIO_F_VERSION_1"));
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* A malformed reply (4 bytes where a u64 is due) fails the set-up. */
static void test_malformed_reply(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .features_reply_size = 4};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.reconnect_ms = 60000;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_false(fe.up);
	assert_int_equal(fe.peer_errors, 1);
	assert_int_equal(fe.setup_failures, 1);
	assert_true(log_has("reply to GET_FEATURES has 4 payload bytes"));
	assert_true(sem_wait_ms(&f.ended, 3000));
	assert_int_equal(f.rec[0].n, 2);
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* A back-end that never answers GET_FEATURES: the set-up gives up after
 * the reply timeout, init still succeeds (we retry later), nothing hangs. */
static void test_silent_backend_times_out(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .silent_request = VHOST_USER_GET_FEATURES};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.reconnect_ms = 60000;
	uint64_t t0 = pb_now_ns();
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	uint64_t ms = (pb_now_ns() - t0) / 1000000;
	assert_false(fe.up);
	assert_int_equal(fe.peer_errors, 1);
	assert_true(ms >= PB_FE_REPLY_TIMEOUT_MS - 50);
	assert_true(ms < PB_FE_REPLY_TIMEOUT_MS + 1000);
	assert_true(sem_wait_ms(&f.ended, 3000));
	/* Dispatching before the retry is due does not block either. */
	t0 = pb_now_ns();
	assert_int_equal(pb_vhost_frontend_dispatch(&fe), 0);
	assert_true(pb_now_ns() - t0 < 100 * 1000000ULL);
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* A back-end that answers everything, but slowly (each reply just inside
 * the per-reply timeout would stall us for a minute): the whole set-up
 * gives up after PB_FE_SETUP_TIMEOUT_MS. */
static void test_slow_backend_bounded(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .pf = ALL_PF, .reply_delay_ms = 400};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	cfg.reconnect_ms = 60000;
	uint64_t t0 = pb_now_ns();
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	uint64_t ms = (pb_now_ns() - t0) / 1000000;
	assert_false(fe.up);
	assert_int_equal(fe.peer_errors, 1);
	assert_true(ms >= PB_FE_SETUP_TIMEOUT_MS - 50);
	assert_true(ms < PB_FE_SETUP_TIMEOUT_MS + 1000);
	assert_true(sem_wait_ms(&f.ended, 3000));
	assert_true(f.rec[0].n > 5);
	pb_vhost_frontend_fini(&fe);
	/* Its last reply went to a closed socket: not the fake's fault. */
	atomic_store(&fake_errors, 0);
	fake_finish(&f);
}

/* A back-end that does not answer the stop (GET_VRING_BASE): closing
 * costs one reply timeout, not one per ring, and never hangs. */
static void test_unanswered_stop(void **state)
{
	(void)state;
	struct fake f = {
	    .features = DPDK_LIKE_F, .pf = ALL_PF, .silent_request = VHOST_USER_GET_VRING_BASE};
	struct pb_vhost_frontend fe;

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_true(fe.up);
	uint64_t t0 = pb_now_ns();
	pb_vhost_frontend_disconnect(&fe, "test");
	uint64_t ms = (pb_now_ns() - t0) / 1000000;
	assert_false(fe.up);
	assert_int_equal(fe.disconnects, 1);
	assert_true(ms >= PB_FE_REPLY_TIMEOUT_MS - 50);
	assert_true(ms < PB_FE_REPLY_TIMEOUT_MS + 1000);
	assert_true(sem_wait_ms(&f.ended, 3000));
	/* Only ring 0 was asked: the first silence ends the goodbye. */
	assert_int_equal(f.rec[0].req[f.rec[0].n - 1], VHOST_USER_GET_VRING_BASE);
	assert_int_equal(find_req(&f.rec[0], VHOST_USER_GET_VRING_BASE, 0), f.rec[0].n - 1);
	pb_vhost_frontend_fini(&fe);
	fake_finish(&f);
}

/* Client mode: the back-end goes away, comes back; the front-end
 * reconnects on its own (woken by its timer) with fresh rings. */
static void test_client_reconnects(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .pf = ALL_PF, .sessions = 2};
	struct pb_vhost_frontend fe;
	int fds_before = count_fds();
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	fake_prepare(&f);
	struct pb_vhost_frontend_cfg cfg = make_cfg(f.path, false);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, epfd), 0);
	assert_true(fe.up);
	assert_true(sem_wait_ms(&f.ready, 3000));

	/* Dirty both rings: the device used 3 RX buffers, the app took them
	 * and queued 2 TX frames. */
	struct view v = map_region(&f.rec[0]);
	struct vring_used *rxu =
	    xlate(&v, f.rec[0].addr[PB_VNET_RXQ].used_user_addr, pb_vring_used_size(QSIZE));
	for (uint32_t i = 0; i < 3; i++)
		rxu->ring[i] = (struct vring_used_elem){.id = i, .len = 60};
	pb_store_release(&rxu->idx, 3);
	struct pb_vq_drv *rx = &fe.vq[PB_VNET_RXQ], *tx = &fe.vq[PB_VNET_TXQ];
	assert_int_equal(pb_vq_drv_used(rx), 3);
	for (int i = 0; i < 3; i++) {
		uint16_t id;
		uint32_t len;
		assert_true(pb_vq_drv_take(rx, &id, &len));
	}
	pb_vq_drv_post(tx, 0, 60);
	pb_vq_drv_post(tx, 1, 60);
	pb_vq_drv_publish(tx);
	munmap(v.base, v.size);

	/* The back-end hangs up; the app is woken and sees the link down. */
	atomic_store(&f.close_now, true);
	assert_true(sem_wait_ms(&f.ended, 3000));
	assert_true(dispatch_until(&fe, epfd, false, 3000));
	assert_int_equal(fe.disconnects, 1);
	assert_int_equal(fe.peer_errors, 0);
	assert_int_equal(rx->last_used, 0);
	assert_int_equal(tx->avail->idx, 0);

	/* It listens again (the fake accepts its second session); we are
	 * back up after about reconnect_ms, with clean rings. */
	assert_true(dispatch_until(&fe, epfd, true, 3000));
	assert_true(sem_wait_ms(&f.ready, 3000));
	assert_int_equal(fe.connects, 2);
	struct rec *r = &f.rec[1];
	assert_int_equal(r->req[0], VHOST_USER_SET_OWNER);
	v = map_region(r);
	check_ring(r, &v, PB_VNET_RXQ, true);
	check_ring(r, &v, PB_VNET_TXQ, false);
	munmap(v.base, v.size);

	pb_vhost_frontend_fini(&fe);
	close(epfd);
	fake_finish(&f);
	assert_int_equal(count_fds(), fds_before);
}

/* Client mode with nobody listening: init succeeds, the front-end stays
 * down and comes up once a back-end appears. */
static void test_client_waits_for_backend(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F, .pf = ALL_PF};
	struct pb_vhost_frontend fe;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	char dir[] = "/tmp/pb-fe-wait.XXXXXX", path[108];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/late.sock", dir);
	struct pb_vhost_frontend_cfg cfg = make_cfg(path, false);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, epfd), 0);
	assert_false(fe.up);
	assert_false(dispatch_until(&fe, epfd, true, 200));
	assert_int_equal(fe.peer_errors, 0);

	/* The fake makes its own path; point it at ours. */
	snprintf(f.dir, sizeof(f.dir), "%s", dir);
	f.sessions = 1;
	for (int i = 0; i < MAX_SESS; i++)
		rec_init(&f.rec[i]);
	snprintf(f.path, sizeof(f.path), "%s", path);
	sem_init(&f.ready, 0, 0);
	sem_init(&f.ended, 0, 0);
	f.listen_fd = pb_sock_listen(path);
	assert_true(f.listen_fd >= 0);
	assert_int_equal(pthread_create(&f.thr, NULL, fake_main, &f), 0);
	assert_true(dispatch_until(&fe, epfd, true, 3000));
	assert_true(sem_wait_ms(&f.ready, 3000));
	pb_vhost_frontend_fini(&fe);
	close(epfd);
	fake_finish(&f);
}

/* Server mode: we listen, the back-end connects; a second one is refused
 * while the first is up; a stray message is ignored; a broken ring drops
 * the link; the next back-end gets fresh rings. */
static void test_server_mode(void **state)
{
	(void)state;
	struct fake f = {.features = DPDK_LIKE_F,
			 .pf = ALL_PF,
			 .is_client = true,
			 .sessions = 2,
			 .unsolicited = true};
	struct pb_vhost_frontend fe;
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	char dir[] = "/tmp/pb-fe-srv.XXXXXX", path[108];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fe.sock", dir);
	struct pb_vhost_frontend_cfg cfg = make_cfg(path, true);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, epfd), 0);
	assert_false(fe.up);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	/* The fake connects to our path. */
	snprintf(f.dir, sizeof(f.dir), "%s", dir);
	snprintf(f.path, sizeof(f.path), "%s", path);
	for (int i = 0; i < MAX_SESS; i++)
		rec_init(&f.rec[i]);
	sem_init(&f.ready, 0, 0);
	sem_init(&f.ended, 0, 0);
	f.listen_fd = -1;
	assert_int_equal(pthread_create(&f.thr, NULL, fake_main, &f), 0);
	assert_true(dispatch_until(&fe, epfd, true, 3000));
	assert_true(sem_wait_ms(&f.ready, 3000));
	assert_int_equal(fe.connects, 1);

	/* The stray message the fake sent once ready: ignored. */
	assert_false(dispatch_until(&fe, epfd, false, 200));
	assert_true(log_has("ignoring unexpected GET_FEATURES"));

	/* A second back-end is accepted and closed at once. */
	int extra = pb_sock_connect(path);
	assert_true(extra >= 0);
	assert_false(dispatch_until(&fe, epfd, false, 200));
	struct pollfd pfd = {.fd = extra, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 1000), 1);
	char b;
	assert_int_equal(read(extra, &b, 1), 0); /* EOF */
	close(extra);
	assert_true(fe.up);

	/* The data path found a corrupt used ring: the link drops. */
	fe.vq[PB_VNET_TXQ].broken = true;
	assert_int_equal(pb_vhost_frontend_dispatch(&fe), 0);
	assert_int_equal(fe.peer_errors, 1);
	assert_int_equal(fe.disconnects, 1);
	assert_false(fe.vq[PB_VNET_TXQ].broken);
	assert_true(sem_wait_ms(&f.ended, 3000));

	/* The fake connects again (session 2); the same dispatch may already
	 * have accepted it, so wait for the second connect, not for "down". */
	uint64_t end = pb_now_ns() + 3000 * 1000000ULL;
	while (fe.connects < 2 && pb_now_ns() < end) {
		struct epoll_event ev[8];
		epoll_wait(epfd, ev, 8, 20);
		assert_int_equal(pb_vhost_frontend_dispatch(&fe), 0);
	}
	assert_true(fe.up);
	assert_true(sem_wait_ms(&f.ready, 3000));
	assert_int_equal(fe.connects, 2);
	struct view v = map_region(&f.rec[1]);
	check_ring(&f.rec[1], &v, PB_VNET_RXQ, true);
	munmap(v.base, v.size);

	pb_vhost_frontend_fini(&fe);
	/* We listened, so we remove the socket file. */
	assert_int_equal(stat(path, &st), -1);
	close(epfd);
	fake_finish(&f);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct pb_vhost_frontend fe;
	struct pb_vhost_frontend_cfg cfg = make_cfg("/tmp/pb-fe-unused.sock", false);

	cfg.queue_size = 100;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), -EINVAL);
	cfg = make_cfg("/tmp/pb-fe-unused.sock", false);
	cfg.mtu = 20000;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), -EINVAL);
	cfg = make_cfg(NULL, false);
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), -EINVAL);
}

/* The layout and the sizing of the buffers. */
static void test_layout(void **state)
{
	(void)state;
	struct pb_vhost_frontend fe;
	struct pb_vhost_frontend_cfg cfg = make_cfg("/tmp/pb-fe-nobody/x.sock", false);

	cfg.mtu = 9000;
	cfg.reconnect_ms = 60000;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_false(fe.up);
	uint32_t bs = fe.vq[0].stride;
	assert_int_equal(bs % 64, 0);
	assert_int_equal(fe.vq[0].buf_size, bs - PB_VQ_BUF_PAD);
	assert_true(fe.vq[0].buf_size >= PB_VNET_HDR_LEN + 9000 + PB_ETH_OVERHEAD);
	assert_true(fe.vq[0].buf_size < PB_VNET_HDR_LEN + 9000 + PB_ETH_OVERHEAD + 128);
	/* The frame behind the header starts on a cache line. */
	assert_int_equal((uintptr_t)(pb_vq_drv_buf(&fe.vq[0], 1) + PB_VNET_HDR_LEN) % 64, 0);
	uint8_t *rxr = (uint8_t *)fe.vq[0].desc, *txr = (uint8_t *)fe.vq[1].desc;
	assert_ptr_equal(rxr, fe.mem);
	assert_true(txr > rxr && fe.vq[0].bufs > txr && fe.vq[1].bufs > fe.vq[0].bufs);
	assert_ptr_equal(fe.vq[1].bufs, fe.vq[0].bufs + (size_t)QSIZE * bs);
	assert_true(fe.vq[1].bufs + (size_t)QSIZE * bs <= fe.mem + fe.mem_size);
	assert_int_equal(fe.mem_size % 4096, 0);
	pb_vhost_frontend_fini(&fe);

	/* Small MTUs get 2 KiB slots, nudged off the 1 KiB multiple. */
	cfg.mtu = 68;
	assert_int_equal(pb_vhost_frontend_init(&fe, &cfg, -1), 0);
	assert_int_equal(fe.vq[0].stride, 2048 + 64);
	pb_vhost_frontend_fini(&fe);
}

static void test_shm(void **state)
{
	(void)state;
	struct pb_shm shm = {0};

	pb_shm_destroy(&shm); /* a zeroed struct is fine */
	assert_int_equal(pb_shm_create(&shm, "pb-test", 5000, false), 0);
	assert_int_equal(shm.size, 8192);
	struct stat st;
	assert_int_equal(fstat(shm.fd, &st), 0);
	assert_int_equal(st.st_size, 8192);
	((volatile uint8_t *)shm.base)[8191] = 1;
	/* Sealed: it can neither shrink nor grow, and the seals are final. */
	assert_int_equal(ftruncate(shm.fd, 4096), -1);
	assert_int_equal(ftruncate(shm.fd, 16384), -1);
	assert_int_equal(fcntl(shm.fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	pb_shm_destroy(&shm);
	pb_shm_destroy(&shm);
	assert_int_equal(pb_shm_create(&shm, "pb-test", 0, false), -EINVAL);

	/* Huge pages: may be unavailable here (-ENOMEM), never anything else. */
	int err = pb_shm_create(&shm, "pb-test-huge", 4096, true);
	if (err == 0) {
		assert_int_equal(shm.size, 2u << 20);
		pb_shm_destroy(&shm);
	} else {
		assert_true(err == -ENOMEM || err == -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shm),
	    cmocka_unit_test(test_bad_config),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_setup_sequence),
	    cmocka_unit_test(test_setup_minimal_backend),
	    cmocka_unit_test(test_setup_packed),
	    cmocka_unit_test(test_setup_packed_fallback),
	    cmocka_unit_test(test_nack_fails_setup),
	    cmocka_unit_test(test_requires_version_1),
	    cmocka_unit_test(test_malformed_reply),
	    cmocka_unit_test(test_silent_backend_times_out),
	    cmocka_unit_test(test_unanswered_stop),
	    cmocka_unit_test(test_slow_backend_bounded),
	    cmocka_unit_test(test_client_reconnects),
	    cmocka_unit_test(test_client_waits_for_backend),
	    cmocka_unit_test(test_server_mode),
	};

	pb_set_log(capture_log, PB_LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
