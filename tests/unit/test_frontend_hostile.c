/* SPDX-License-Identifier: MIT */
/*
 * test_frontend_hostile.c - the vhost-user front-end against back-ends of
 * fe_rig.h that refuse, lack or garble what it needs: a NACK, no
 * VIRTIO_F_VERSION_1, a malformed reply, silence at set-up and at the stop,
 * and slow answers. Each fails the set-up (or the goodbye) in bounded time,
 * says why, and never hangs.
 */
#include <stdatomic.h>

#include "fe_rig.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nack_fails_setup),
	    cmocka_unit_test(test_requires_version_1),
	    cmocka_unit_test(test_malformed_reply),
	    cmocka_unit_test(test_silent_backend_times_out),
	    cmocka_unit_test(test_unanswered_stop),
	    cmocka_unit_test(test_slow_backend_bounded),
	};

	pb_set_log(capture_log, PB_LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
