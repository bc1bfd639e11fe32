/* SPDX-License-Identifier: MIT */
/*
 * test_backend_hostile.c - the vhost-user back-end against a hostile or
 * broken front-end (the scripted one of be_rig.h): ring indices it lacks,
 * malformed messages (each costs the peer its link, before or after the
 * set-up), rings the driver breaks, notification fds that are not
 * eventfds, ring addresses outside memory or made misaligned by a region.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "be_rig.h"

static void test_bad_ring_index(void **state)
{
	struct fx *f = *state;
	int efd = eventfd(0, EFD_CLOEXEC);
	int fds = open_fds();

	negotiate(f, true);
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 2, QSIZE);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	request_state(f, VHOST_USER_SET_VRING_ENABLE, VHOST_USER_NEED_REPLY, 0xffffffff, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ENABLE), 0);
	/* The fd of a refused SET_VRING_KICK is closed, not kept. */
	send_vring_fd(f, VHOST_USER_SET_VRING_KICK, VHOST_USER_NEED_REPLY, 255, efd);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_KICK), 0);
	assert_int_equal(open_fds(), fds);
	/* A query about a ring we lack gets a failure answer, not silence. */
	request_state(f, VHOST_USER_GET_VRING_BASE, 0, 2, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_GET_VRING_BASE), 0);
	assert_connected(f);
	close(efd);
}

/* One malformed message per case; each must cost the peer its link. */
struct bad_msg {
	const char *what;
	uint32_t req;
	uint32_t size;
	uint8_t payload[64];
	unsigned nfds; /* eventfds attached */
};

static const struct bad_msg bad_msgs[] = {
    {"short state", VHOST_USER_SET_VRING_NUM, 4, {0}, 0},
    {"long state", VHOST_USER_SET_VRING_BASE, 12, {0}, 0},
    {"u64 missing", VHOST_USER_SET_FEATURES, 0, {0}, 0},
    {"short address", VHOST_USER_SET_VRING_ADDR, 32, {0}, 0},
    {"payload on a query", VHOST_USER_GET_FEATURES, 8, {0}, 0},
    {"fd on SET_OWNER", VHOST_USER_SET_OWNER, 0, {0}, 1},
    {"two kick fds", VHOST_USER_SET_VRING_KICK, 8, {0}, 2},
    {"no fd, flag clear", VHOST_USER_SET_VRING_CALL, 8, {0}, 0},
    {"fd with the no-fd flag", VHOST_USER_SET_VRING_KICK, 8, {0, 1}, 1},
    {"2 regions, 1 fd", VHOST_USER_SET_MEM_TABLE, 8 + 64, {2}, 1},
    {"9 regions", VHOST_USER_SET_MEM_TABLE, 8 + 9 * 32 - 8, {9}, 0},
    {"table size mismatch", VHOST_USER_SET_MEM_TABLE, 8 + 40, {1}, 1},
    {"short table", VHOST_USER_SET_MEM_TABLE, 4, {0}, 0},
    {"unoffered feature", VHOST_USER_SET_FEATURES, 8, {0, 0, 0, 0, 0, 0, 0, 0x80}, 0},
    {"unoffered protocol feature", VHOST_USER_SET_PROTOCOL_FEATURES, 8, {0, 0x40}, 0},
    {"config size mismatch", VHOST_USER_GET_CONFIG, 12 + 4, {0, 0, 0, 0, 12}, 0},
    {"short config", VHOST_USER_GET_CONFIG, 8, {0}, 0},
};

static void test_malformed_disconnects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_msgs) / sizeof(bad_msgs[0]); i++) {
		const struct bad_msg *b = &bad_msgs[i];
		static uint8_t payload[4096];
		int fds[2];
		void *st;

		print_message("malformed: %s\n", b->what);
		assert_int_equal(setup(&st), 0);
		struct fx *f = st;
		for (unsigned k = 0; k < b->nfds; k++)
			fds[k] = eventfd(0, EFD_CLOEXEC);
		memset(payload, 0, sizeof(payload));
		memcpy(payload, b->payload, sizeof(b->payload));
		request(f, b->req, VHOST_USER_NEED_REPLY, payload, b->size, fds, b->nfds);
		for (unsigned k = 0; k < b->nfds; k++)
			close(fds[k]);
		assert_dropped(f, 1);
		teardown(&st);
	}
}

/* Trouble after a full set-up: everything is released. */
static void test_malformed_after_setup(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	setup_rings(f, true, 0);
	request(f, VHOST_USER_SET_VRING_NUM, 0, "abc", 3, NULL, 0);
	assert_dropped(f, 1);
	assert_false(pb_vhost_backend_ready(&f->be));
	/* Counters survive the connection. */
	assert_int_equal(f->be.connects, 1);
}

/* A front-end that writes garbage into its avail index breaks the ring;
 * dispatch drops it. */
static void test_broken_ring(void **state)
{
	struct fx *f = *state;
	struct vring_avail *avail = (struct vring_avail *)(f->mem + AVAIL_OFF(1));

	negotiate(f, true);
	setup_rings(f, true, 0);
	avail->idx = 1000; /* more than QSIZE ahead */
	assert_int_equal(pb_vq_dev_avail(&f->be.vring[1].dq), 0);
	assert_true(f->be.vring[1].dq.broken);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_dropped(f, 1);
}

/* A broken ring cannot be mended by re-sending its address: the drop
 * happens before the next message is read. */
static void test_broken_ring_not_reset(void **state)
{
	struct fx *f = *state;
	struct vring_avail *avail = (struct vring_avail *)(f->mem + AVAIL_OFF(1));

	negotiate(f, true);
	setup_rings(f, true, 0);
	avail->idx = 1000;
	assert_int_equal(pb_vq_dev_avail(&f->be.vring[1].dq), 0);
	send_vring_addr(f, 1);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_dropped(f, 1);
}

/* Notification fds must be eventfds: a pipe is refused with a NACK. */
static void test_kick_not_eventfd(void **state)
{
	struct fx *f = *state;
	int p[2];

	negotiate(f, true);
	assert_int_equal(pipe(p), 0);
	send_vring_fd(f, VHOST_USER_SET_VRING_CALL, VHOST_USER_NEED_REPLY, 0, p[1]);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_CALL), 0);
	assert_int_equal(f->be.vring[0].dq.callfd, -1);
	send_vring_fd(f, VHOST_USER_SET_VRING_KICK, VHOST_USER_NEED_REPLY, 1, p[0]);
	assert_int_equal(pb_vhost_backend_dispatch(&f->be), 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_KICK), 0);
	assert_false(f->be.vring[1].started);
	assert_connected(f);
	close(p[0]);
	close(p[1]);
}

/* Ring addresses outside the memory: the ring stays unbound, a NACK. */
static void test_ring_outside_memory(void **state)
{
	struct fx *f = *state;
	struct pb_vu_vring_addr a = {
	    .index = 0,
	    .desc_user_addr = MEM_UVA + MEM_SIZE - 4096, /* 256 x 16 = 4096: fits */
	    .avail_user_addr = MEM_UVA + MEM_SIZE - 16,	 /* 518 bytes: does not */
	    .used_user_addr = MEM_UVA,
	};

	negotiate(f, true);
	send_mem_table(f, 0);
	request_state(f, VHOST_USER_SET_VRING_NUM, 0, 0, QSIZE);
	request(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_NEED_REPLY, &a, sizeof(a), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ADDR), 0);
	assert_null(f->be.vring[0].dq.desc);
	a.avail_user_addr = MEM_UVA + 8 + 1; /* misaligned */
	request(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_NEED_REPLY, &a, sizeof(a), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ADDR), 0);
	assert_null(f->be.vring[0].dq.desc);
	assert_connected(f);
}

/*
 * Found by fuzz_vhost_msg: a region whose user address is not congruent
 * with its file offset (uva = mmap base + 1) makes aligned ring addresses
 * land on misaligned host pointers, and the data path's atomics on them are
 * undefined (UBSan: misaligned vring_used). Whether guest memory refuses the
 * region or the ring refuses the addresses, the ring must not be bound.
 */
static void test_misaligned_region(void **state)
{
	struct fx *f = *state;
	struct pb_vu_memory t = {.nregions = 1};
	struct pb_vu_vring_addr a = {
	    .index = 0,
	    .desc_user_addr = MEM_UVA + 16,
	    .avail_user_addr = MEM_UVA + 4096,
	    .used_user_addr = MEM_UVA + 8192,
	};

	negotiate(f, true);
	t.regions[0] = (struct pb_vu_mem_region){MEM_GPA, MEM_SIZE - 4096, MEM_UVA + 1, 0};
	request(f, VHOST_USER_SET_MEM_TABLE, VHOST_USER_NEED_REPLY, &t, 8 + 32, &f->memfd, 1);
	reply_u64(f, VHOST_USER_SET_MEM_TABLE); /* refusing the region is one way */
	request_state(f, VHOST_USER_SET_VRING_NUM, 0, 0, QSIZE);
	request(f, VHOST_USER_SET_VRING_ADDR, VHOST_USER_NEED_REPLY, &a, sizeof(a), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_ADDR), 0);
	assert_null(f->be.vring[0].dq.desc);
	assert_connected(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_bad_ring_index),	   cmocka_unit_test(test_malformed_disconnects),
	    T(test_malformed_after_setup), T(test_broken_ring),
	    T(test_broken_ring_not_reset), T(test_kick_not_eventfd),
	    T(test_ring_outside_memory),   T(test_misaligned_region),
	};

	/* Keep the output readable: warnings are expected here. */
	pb_set_log(NULL, PB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
