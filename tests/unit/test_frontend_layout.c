/* SPDX-License-Identifier: MIT */
/*
 * test_frontend_layout.c - what the vhost-user front-end checks and lays
 * out before any back-end is there: its shared memory (a sealed memfd,
 * huge pages where available), the config it refuses, and where the rings
 * and buffers go in that memory, sized from the MTU.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem/shm.h"

#include "fe_rig.h"

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
	};

	pb_set_log(capture_log, PB_LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
