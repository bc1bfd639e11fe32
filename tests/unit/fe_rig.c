/* SPDX-License-Identifier: MIT */
/*
 * fe_rig.c - the fake back-end of fe_rig.h and the front-end side's
 * helpers, shared by the test_frontend_*.c programs.
 */
#include "fe_rig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- log capture ------------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[8192];

__attribute__((format(printf, 2, 0))) void capture_log(enum pb_log_level level, const char *fmt,
						       va_list ap)
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

bool log_has(const char *s)
{
	pthread_mutex_lock(&log_lock);
	bool r = strstr(log_buf, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return r;
}

/* ---- the fake back-end ------------------------------------------------- */

/* cmocka's asserts may not run in the fake's thread: it counts its own
 * failures here, and fake_finish() asserts there were none. */
atomic_int fake_errors;

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

void *fake_main(void *arg)
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

void rec_init(struct rec *r)
{
	memset(r, 0, sizeof(*r));
	r->memfd = -1;
	r->kickfd[0] = r->kickfd[1] = r->callfd[0] = r->callfd[1] = -1;
}

/* Make the temp dir; a server fake listens now, before the front-end. */
void fake_prepare(struct fake *f)
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

void fake_finish(struct fake *f)
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

bool sem_wait_ms(sem_t *s, int ms)
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
int count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

struct pb_vhost_frontend_cfg make_cfg(const char *path, bool server)
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
bool dispatch_until(struct pb_vhost_frontend *fe, int epfd, bool want, int ms)
{
	uint64_t end = pb_now_ns() + (uint64_t)ms * 1000000ULL;

	while (fe->up != want && pb_now_ns() < end) {
		struct epoll_event ev[8];
		epoll_wait(epfd, ev, 8, 20);
		assert_int_equal(pb_vhost_frontend_dispatch(fe), 0);
	}
	return fe->up == want;
}

void *xlate(const struct view *v, uint64_t addr, size_t len)
{
	assert_true(addr >= v->uaddr);
	assert_true(addr - v->uaddr + len <= v->size);
	return v->base + (addr - v->uaddr);
}

struct view map_region(const struct rec *r)
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
void check_ring(const struct rec *r, const struct view *v, int i, bool rx)
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

int find_req(const struct rec *r, uint32_t req, int from)
{
	for (int i = from; i < r->n; i++)
		if (r->req[i] == req)
			return i;
	return -1;
}
