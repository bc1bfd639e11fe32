/* SPDX-License-Identifier: MIT */
/*
 * test_backend_sockets.c - the vhost-user back-end over real sockets in a
 * temp dir: a server that takes one front-end at a time and keeps
 * listening, a client that retries on its timer until the front-end
 * listens and again when it goes, and the config init refuses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "util/sock.h"

#include "be_rig.h"

static char tmpdir[64];
static char sockpath[128];

static void make_tmp_path(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pb-test-backend-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(sockpath, sizeof(sockpath), "%s/vhost.sock", tmpdir);
}

static void request_on(struct pb_vu_conn *c, struct pb_vhost_backend *be, uint32_t req)
{
	struct pb_vu_msg m;

	pb_vu_msg_set(&m, req, 0, 0);
	assert_int_equal(pb_vu_conn_send(c, &m), 0);
	assert_int_equal(pb_vhost_backend_dispatch(be), 0);
}

static void test_server(void **state)
{
	static struct pb_vhost_backend be;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	struct pb_vu_conn c1, c2;
	struct pb_vu_msg r;
	int fds = open_fds();

	(void)state;
	make_tmp_path();
	cfg.path = sockpath;
	cfg.server = true;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	assert_true(be.listen_fd >= 0);

	pb_vu_conn_init(&c1, pb_sock_connect(sockpath));
	assert_true(c1.fd >= 0);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);

	/* One front-end at a time: a second is accepted and closed. */
	pb_vu_conn_init(&c2, pb_sock_connect(sockpath));
	assert_true(c2.fd >= 0);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(pb_vu_conn_recv_wait(&c2, &r, 1000), -ECONNRESET);
	pb_vu_conn_close(&c2);

	request_on(&c1, &be, VHOST_USER_GET_FEATURES);
	assert_int_equal(pb_vu_conn_recv_wait(&c1, &r, 1000), 1);
	assert_true(r.payload.u64 & PB_BIT(VIRTIO_F_VERSION_1));

	/* The first hangs up: the server keeps listening. */
	pb_vu_conn_close(&c1);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(be.conn.fd, -1);
	assert_int_equal(be.disconnects, 1);
	assert_int_equal(be.peer_errors, 0);
	pb_vu_conn_init(&c2, pb_sock_connect(sockpath));
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);
	pb_vu_conn_close(&c2);

	pb_vhost_backend_fini(&be);
	assert_int_equal(access(sockpath, F_OK), -1); /* unlinked */
	assert_int_equal(open_fds(), fds);
	rmdir(tmpdir);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void test_client_reconnect(void **state)
{
	static struct pb_vhost_backend be;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	struct pb_vu_conn c;
	struct pb_vu_msg r;
	struct epoll_event ev;
	int fds = open_fds();
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	(void)state;
	make_tmp_path();
	cfg.path = sockpath;
	cfg.reconnect_ms = 200;
	/* Nobody listens yet: not an error, a retry. */
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, epfd), 0);
	assert_int_equal(be.conn.fd, -1);
	int lfd = pb_sock_listen(sockpath);
	assert_true(lfd >= 0);
	/* Too early: no retry. */
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(be.conn.fd, -1);
	/* The reconnect timer wakes the caller's epoll. */
	assert_int_equal(epoll_wait(epfd, &ev, 1, 1000), 1);
	assert_int_equal(ev.data.fd, be.timerfd);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);

	int afd = -1;
	for (int i = 0; i < 100 && afd < 0; i++, sleep_ms(1))
		afd = pb_sock_accept(lfd);
	assert_true(afd >= 0);
	pb_vu_conn_init(&c, afd);
	request_on(&c, &be, VHOST_USER_GET_QUEUE_NUM);
	assert_int_equal(pb_vu_conn_recv_wait(&c, &r, 1000), 1);
	assert_true(r.payload.u64 == 1);

	/* The front-end goes away: the client retries later. */
	pb_vu_conn_close(&c);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_int_equal(be.conn.fd, -1);
	assert_int_equal(be.disconnects, 1);
	sleep_ms(250);
	assert_int_equal(pb_vhost_backend_dispatch(&be), 0);
	assert_true(be.conn.fd >= 0);

	pb_vhost_backend_fini(&be);
	/* A client does not unlink the front-end's socket. */
	assert_int_equal(access(sockpath, F_OK), 0);
	close(lfd);
	unlink(sockpath);
	rmdir(tmpdir);
	close(epfd);
	assert_int_equal(open_fds(), fds);
}

static void test_init_errors(void **state)
{
	static struct pb_vhost_backend be;
	struct pb_vhost_backend_cfg cfg = test_cfg();
	char longpath[200];
	int fds = open_fds();

	(void)state;
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	cfg.path = longpath;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), -ENAMETOOLONG);
	cfg.path = "";
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), -EINVAL);
	cfg.path = NULL;
	cfg.mtu = 20;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), -EINVAL);
	cfg.mtu = 0;
	cfg.features = PB_BIT(VIRTIO_F_IN_ORDER) | PB_BIT(VIRTIO_NET_F_CTRL_VQ);
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	/* Defaults, and only what the device side implements. */
	assert_int_equal(be.config.mtu, PB_MTU_DEFAULT);
	assert_true(be.cfg.features == PB_BIT(VIRTIO_F_VERSION_1));
	pb_vhost_backend_fini(&be);
	/* Packed rings are implemented, offered only when asked for. */
	cfg.features = PB_BIT(VIRTIO_F_RING_PACKED);
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	assert_true(be.cfg.features == (PB_BIT(VIRTIO_F_VERSION_1) | PB_BIT(VIRTIO_F_RING_PACKED)));
	pb_vhost_backend_fini(&be);
	cfg.features = 0;
	assert_int_equal(pb_vhost_backend_init(&be, &cfg, -1), 0);
	assert_false(be.cfg.features & PB_BIT(VIRTIO_F_RING_PACKED));
	pb_vhost_backend_fini(&be);
	pb_vhost_backend_fini(&be); /* idempotent */
	assert_int_equal(open_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_server),
	    cmocka_unit_test(test_client_reconnect),
	    cmocka_unit_test(test_init_errors),
	};

	/* Keep the output readable: warnings are expected here. */
	pb_set_log(NULL, PB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
