/* SPDX-License-Identifier: MIT */
/*
 * test_frontend_link.c - the vhost-user front-end's link over time, against
 * the fake back-end of fe_rig.h: a client that reconnects with fresh rings
 * when the back-end goes and comes back, or waits for one to appear; a
 * server that takes one back-end at a time, ignores a stray message, drops
 * the link on a broken ring and takes the next back-end.
 */
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fe_rig.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_reconnects),
	    cmocka_unit_test(test_client_waits_for_backend),
	    cmocka_unit_test(test_server_mode),
	};

	pb_set_log(capture_log, PB_LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
