/* SPDX-License-Identifier: MIT */
/*
 * test_frontend_setup.c - the vhost-user front-end's set-up against the
 * fake back-end of fe_rig.h: the whole sequence against a DPDK-like
 * back-end (order, acks, features, config, the memfd, the rings, the fds),
 * against a minimal one without protocol features, and with packed rings,
 * offered or not.
 */
#include <string.h>
#include <sys/mman.h>

#include "fe_rig.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_setup_sequence),
	    cmocka_unit_test(test_setup_minimal_backend),
	    cmocka_unit_test(test_setup_packed),
	    cmocka_unit_test(test_setup_packed_fallback),
	};

	pb_set_log(capture_log, PB_LOG_DEBUG);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
