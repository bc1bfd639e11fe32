/* SPDX-License-Identifier: MIT */
/*
 * test_backend_requests.c - the vhost-user back-end's answers, through the
 * scripted front-end of be_rig.h: acks (REPLY_ACK) and the requests they
 * refuse, requests it does not serve (unknown, logging, IOTLB, postcopy,
 * inflight, the back-end channel), the config space and the MTU, the
 * queries and the device status, memory regions added and removed one by
 * one.
 */
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "be_rig.h"

static void test_reply_ack(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	setup_rings(f, true, 0);
	request_state(f, VHOST_USER_SET_VRING_ENABLE, VHOST_USER_NEED_REPLY, 0, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_VRING_ENABLE), 0);
	assert_false(f->be.vring[0].enabled);
	/* Not a power of two: the request fails, the link stays. */
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 0, 100);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	request_state(f, VHOST_USER_SET_VRING_NUM, VHOST_USER_NEED_REPLY, 0, 65536);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_VRING_NUM), 0);
	/* A request that replies anyway replies once, with its body. */
	request(f, VHOST_USER_GET_FEATURES, VHOST_USER_NEED_REPLY, NULL, 0, NULL, 0);
	assert_true(reply_u64(f, VHOST_USER_GET_FEATURES) & PB_BIT(VIRTIO_F_VERSION_1));
	assert_no_reply(f);
	/* Without NEED_REPLY, no ack. */
	request_state(f, VHOST_USER_SET_VRING_ENABLE, 0, 0, 1);
	assert_no_reply(f);
	assert_true(pb_vhost_backend_ready(&f->be));
	/* A driver reset (status 0) takes the device down until DRIVER_OK. */
	request_u64(f, VHOST_USER_SET_STATUS, 0, 0);
	assert_false(pb_vhost_backend_ready(&f->be));
	request_u64(f, VHOST_USER_SET_STATUS, 0, STATUS_DRIVER_UP);
	assert_true(pb_vhost_backend_ready(&f->be));
	assert_connected(f);
}

static void test_unknown_request(void **state)
{
	struct fx *f = *state;
	int efd = eventfd(0, EFD_CLOEXEC);
	int fds = open_fds();
	uint64_t v = 0;

	negotiate(f, true);
	request_u64(f, 99, VHOST_USER_NEED_REPLY, 0);
	assert_int_not_equal(reply_u64(f, 99), 0);
	request_u64(f, 99, 0, 0);
	assert_no_reply(f);
	request_u64(f, 0, 0, 0);
	assert_no_reply(f);
	/* Not offered: logging. Its fd is closed. */
	request(f, VHOST_USER_SET_LOG_FD, 0, NULL, 0, &efd, 1);
	assert_no_reply(f);
	assert_int_equal(open_fds(), fds);
	request(f, VHOST_USER_SET_LOG_BASE, VHOST_USER_NEED_REPLY, &v, 8, &efd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_LOG_BASE), 0);
	assert_int_equal(open_fds(), fds);
	/* IOTLB messages are always answered: with a failure. */
	struct pb_vu_iotlb iotlb = {.type = 2};
	request(f, VHOST_USER_IOTLB_MSG, 0, &iotlb, sizeof(iotlb), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_IOTLB_MSG), 0);
	/* Postcopy is not offered: a failure, not a hang. */
	request(f, VHOST_USER_POSTCOPY_ADVISE, 0, NULL, 0, NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_POSTCOPY_ADVISE), 0);
	/* Nor inflight tracking: an empty area. */
	struct pb_vu_inflight inf = {.mmap_size = 4096, .num_queues = 2, .queue_size = 256};
	request(f, VHOST_USER_GET_INFLIGHT_FD, 0, &inf, sizeof(inf), NULL, 0);
	struct pb_vu_msg *r = reply(f, VHOST_USER_GET_INFLIGHT_FD);
	assert_int_equal(r->hdr.size, sizeof(inf));
	assert_true(r->payload.inflight.mmap_size == 0);
	assert_no_reply(f);
	/* Gated on a protocol feature that was not acked: not served. */
	request(f, VHOST_USER_SET_BACKEND_REQ_FD, VHOST_USER_NEED_REPLY, NULL, 0, &efd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_BACKEND_REQ_FD), 0);
	assert_int_equal(f->be.backend_req_fd, -1);
	assert_int_equal(open_fds(), fds);
	assert_connected(f);
	close(efd);
}

static void test_config(void **state)
{
	struct fx *f = *state;
	struct pb_vu_config c = {.offset = 0, .size = 12};
	struct pb_vu_msg *r;
	struct virtio_net_config nc;

	negotiate(f, true);
	request(f, VHOST_USER_GET_CONFIG, 0, &c, 12 + 12, NULL, 0);
	r = reply(f, VHOST_USER_GET_CONFIG);
	assert_int_equal(r->hdr.size, 24);
	memcpy(&nc, r->payload.config.region, sizeof(nc));
	assert_memory_equal(nc.mac, test_mac, 6);
	assert_int_equal(nc.status, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(nc.max_virtqueue_pairs, 1);
	assert_int_equal(nc.mtu, 1500);

	/* DPDK asks for [0, offset+len) and fields we do not have read 0. */
	c.size = 24;
	request(f, VHOST_USER_GET_CONFIG, 0, &c, 12 + 24, NULL, 0);
	r = reply(f, VHOST_USER_GET_CONFIG);
	assert_int_equal(r->hdr.size, 36);
	assert_int_equal(r->payload.config.region[12], 0);

	/* Out of config space: the empty answer. */
	c.offset = 250;
	c.size = 10;
	request(f, VHOST_USER_GET_CONFIG, 0, &c, 12 + 10, NULL, 0);
	assert_int_equal(reply(f, VHOST_USER_GET_CONFIG)->hdr.size, 0);

	request_u64(f, VHOST_USER_NET_SET_MTU, VHOST_USER_NEED_REPLY, 9000);
	assert_int_equal(reply_u64(f, VHOST_USER_NET_SET_MTU), 0);
	assert_int_equal(f->be.config.mtu, 9000);
	request_u64(f, VHOST_USER_NET_SET_MTU, VHOST_USER_NEED_REPLY, 20);
	assert_int_not_equal(reply_u64(f, VHOST_USER_NET_SET_MTU), 0);
	assert_int_equal(f->be.config.mtu, 9000);

	/* Read-only config space refuses a plain write. */
	c.offset = 0;
	c.size = 6;
	c.flags = 0;
	request(f, VHOST_USER_SET_CONFIG, VHOST_USER_NEED_REPLY, &c, 12 + 6, NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_CONFIG), 0);
	assert_connected(f);
}

static void test_queries_and_status(void **state)
{
	struct fx *f = *state;

	negotiate(f, true);
	request(f, VHOST_USER_GET_QUEUE_NUM, 0, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_GET_QUEUE_NUM), 1);
	request(f, VHOST_USER_GET_MAX_MEM_SLOTS, 0, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_GET_MAX_MEM_SLOTS), PB_GUEST_MEM_MAX_REGIONS);
	request_u64(f, VHOST_USER_SET_STATUS, VHOST_USER_NEED_REPLY, 0xf);
	assert_int_equal(reply_u64(f, VHOST_USER_SET_STATUS), 0);
	request(f, VHOST_USER_GET_STATUS, 0, NULL, 0, NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_GET_STATUS), 0xf);
	request_u64(f, VHOST_USER_SET_STATUS, VHOST_USER_NEED_REPLY, 0x100);
	assert_int_not_equal(reply_u64(f, VHOST_USER_SET_STATUS), 0);
	request_u64(f, VHOST_USER_SEND_RARP, 0, 0);
	assert_no_reply(f);
	assert_connected(f);
}

static void test_add_rem_mem_reg(void **state)
{
	struct fx *f = *state;
	struct pb_vu_single_region reg = {0, {MEM_GPA, MEM_SIZE, MEM_UVA, 0}};

	negotiate(f, true);
	for (unsigned q = 0; q < 2; q++) {
		request_state(f, VHOST_USER_SET_VRING_NUM, 0, q, QSIZE);
		send_vring_addr(f, q);
		send_vring_fd(f, VHOST_USER_SET_VRING_KICK, 0, q, f->kick[q]);
		request_state(f, VHOST_USER_SET_VRING_ENABLE, 0, q, 1);
	}
	request_u64(f, VHOST_USER_SET_STATUS, 0, STATUS_DRIVER_UP);
	assert_false(pb_vhost_backend_ready(&f->be));
	request(f, VHOST_USER_ADD_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), &f->memfd, 1);
	assert_int_equal(reply_u64(f, VHOST_USER_ADD_MEM_REG), 0);
	assert_true(pb_vhost_backend_ready(&f->be));
	/* The same region again overlaps: refused. */
	request(f, VHOST_USER_ADD_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), &f->memfd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_ADD_MEM_REG), 0);
	assert_int_equal(f->be.mem.nregions, 1);
	/* A region larger than its file is refused (it would SIGBUS). */
	struct pb_vu_single_region big = {0, {0x40000000, 2 * MEM_SIZE, 0x100000000, 0}};
	request(f, VHOST_USER_ADD_MEM_REG, VHOST_USER_NEED_REPLY, &big, sizeof(big), &f->memfd, 1);
	assert_int_not_equal(reply_u64(f, VHOST_USER_ADD_MEM_REG), 0);

	request(f, VHOST_USER_REM_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), NULL, 0);
	assert_int_equal(reply_u64(f, VHOST_USER_REM_MEM_REG), 0);
	assert_int_equal(f->be.mem.nregions, 0);
	assert_false(pb_vhost_backend_ready(&f->be));
	assert_null(f->be.vring[0].dq.desc);
	request(f, VHOST_USER_REM_MEM_REG, VHOST_USER_NEED_REPLY, &reg, sizeof(reg), NULL, 0);
	assert_int_not_equal(reply_u64(f, VHOST_USER_REM_MEM_REG), 0);
	assert_connected(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_reply_ack),		T(test_unknown_request), T(test_config),
	    T(test_queries_and_status), T(test_add_rem_mem_reg),
	};

	/* Keep the output readable: warnings are expected here. */
	pb_set_log(NULL, PB_LOG_ERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
