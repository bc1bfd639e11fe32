/* SPDX-License-Identifier: MIT */
/* test_codec.c - vhost-user framing and fd passing over a socketpair. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "vhost/codec.h"

struct pair {
	struct pb_vu_conn a; /* sends */
	struct pb_vu_conn b; /* receives */
};

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	static struct pair p;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pb_vu_conn_init(&p.a, sv[0]);
	pb_vu_conn_init(&p.b, sv[1]);
	*state = &p;
	return 0;
}

static int teardown(void **state)
{
	struct pair *p = *state;

	pb_vu_conn_close(&p->a);
	pb_vu_conn_close(&p->b);
	return 0;
}

/* Both ends of a socketpair are close-on-exec and one end can be written
 * raw, below the codec. */
static void write_raw(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void sendmsg_raw(int fd, const void *buf, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	assert_int_equal(sendmsg(fd, &mh, 0), (ssize_t)len);
}

/* Two fds name the same open file. */
static void assert_same_file(int x, int y)
{
	struct stat sx, sy;

	assert_int_equal(fstat(x, &sx), 0);
	assert_int_equal(fstat(y, &sy), 0);
	assert_true(sx.st_dev == sy.st_dev && sx.st_ino == sy.st_ino);
}

static void test_whole_message(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m, r;

	pb_vu_msg_set(&m, VHOST_USER_SET_FEATURES, VHOST_USER_NEED_REPLY, 8);
	m.payload.u64 = 0x1122334455667788ULL;
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 1);
	assert_int_equal(r.hdr.request, VHOST_USER_SET_FEATURES);
	assert_int_equal(r.hdr.flags, VHOST_USER_VERSION | VHOST_USER_NEED_REPLY);
	assert_int_equal(r.hdr.size, 8);
	assert_true(r.payload.u64 == 0x1122334455667788ULL);
	assert_int_equal(r.nfds, 0);
	/* Nothing more: not a second message. */
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 0);
}

static void test_empty_payload(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m, r;

	pb_vu_msg_set(&m, VHOST_USER_GET_FEATURES, 0, 0);
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 1);
	assert_int_equal(r.hdr.size, 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 1);
	assert_int_equal(r.hdr.request, VHOST_USER_GET_FEATURES);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 0);
}

/* Every byte in its own write: incomplete until the last one; the fds that
 * came with a middle chunk belong to the message. */
static void test_byte_by_byte(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg r;
	uint8_t wire[12 + 8];
	struct pb_vu_hdr h = {VHOST_USER_SET_VRING_KICK, VHOST_USER_VERSION, 8};
	uint64_t v = 1;
	int efd = eventfd(0, EFD_CLOEXEC);

	assert_true(efd >= 0);
	memcpy(wire, &h, 12);
	memcpy(wire + 12, &v, 8);
	for (size_t i = 0; i < sizeof(wire); i++) {
		if (i == 14)
			sendmsg_raw(p->a.fd, &wire[i], 1, &efd, 1);
		else
			write_raw(p->a.fd, &wire[i], 1);
		int rc = pb_vu_conn_recv(&p->b, &r);
		assert_int_equal(rc, i + 1 == sizeof(wire) ? 1 : 0);
	}
	assert_int_equal(r.hdr.request, VHOST_USER_SET_VRING_KICK);
	assert_true(r.payload.u64 == 1);
	assert_int_equal(r.nfds, 1);
	assert_same_file(r.fds[0], efd);
	assert_int_not_equal(r.fds[0], efd);
	pb_vu_msg_close_fds(&r);
	assert_int_equal(r.nfds, 0);
	close(efd);
}

static void test_fds_passed(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m, r;
	int e0 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1, got = 0;

	pb_vu_msg_set(&m, VHOST_USER_SET_VRING_CALL, 0, 8);
	m.payload.u64 = 0;
	m.fds[0] = e0;
	m.fds[1] = e1;
	m.nfds = 2;
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 1);
	assert_int_equal(r.nfds, 2);
	assert_same_file(r.fds[0], e0);
	assert_same_file(r.fds[1], e1);
	/* Received fds are close-on-exec (MSG_CMSG_CLOEXEC). */
	assert_true(fcntl(r.fds[0], F_GETFD) & FD_CLOEXEC);
	/* Signalling through the received fd reaches the original. */
	assert_int_equal(write(r.fds[1], &one, 8), 8);
	assert_int_equal(read(e1, &got, 8), 8);
	assert_true(got == 1);
	pb_vu_msg_close_fds(&r);
	close(e0);
	close(e1);
}

/* Two messages back to back, each with its own fd: each keeps its own. */
static void test_fds_stay_with_their_message(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m, r1, r2;
	int e0 = eventfd(0, EFD_CLOEXEC);
	int e1 = eventfd(0, EFD_CLOEXEC);

	pb_vu_msg_set(&m, VHOST_USER_SET_VRING_KICK, 0, 8);
	m.payload.u64 = 0;
	m.fds[0] = e0;
	m.nfds = 1;
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	m.payload.u64 = 1;
	m.fds[0] = e1;
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r1), 1);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r2), 1);
	assert_int_equal(r1.nfds, 1);
	assert_int_equal(r2.nfds, 1);
	assert_true(r1.payload.u64 == 0 && r2.payload.u64 == 1);
	assert_same_file(r1.fds[0], e0);
	assert_same_file(r2.fds[0], e1);
	pb_vu_msg_close_fds(&r1);
	pb_vu_msg_close_fds(&r2);
	close(e0);
	close(e1);
}

static void test_bad_version(void **state)
{
	static const uint32_t bad[] = {0x0, 0x2, 0x3, VHOST_USER_REPLY_MASK | 0x2};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pair *p;
		struct pb_vu_msg r;
		struct pb_vu_hdr h = {VHOST_USER_GET_FEATURES, bad[i], 0};

		assert_int_equal(setup(state), 0);
		p = *state;
		write_raw(p->a.fd, &h, sizeof(h));
		assert_int_equal(pb_vu_conn_recv(&p->b, &r), -EPROTO);
		teardown(state);
	}
}

static void test_oversize(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg r;
	struct pb_vu_hdr h = {VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION,
			      (uint32_t)sizeof(union pb_vu_payload) + 1};

	write_raw(p->a.fd, &h, sizeof(h));
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), -EPROTO);
}

/* The largest payload accepted is accepted. */
static void test_max_payload(void **state)
{
	struct pair *p = *state;
	static struct pb_vu_msg m, r;

	pb_vu_msg_set(&m, VHOST_USER_SET_CONFIG, 0, sizeof(m.payload));
	memset(m.payload.raw, 0xab, sizeof(m.payload.raw));
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 1);
	assert_int_equal(r.hdr.size, sizeof(r.payload));
	assert_memory_equal(r.payload.raw, m.payload.raw, sizeof(m.payload.raw));
}

static void test_eof(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg r;

	pb_vu_conn_close(&p->a);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), -ECONNRESET);
}

static void test_eof_mid_message(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg r;
	struct pb_vu_hdr h = {VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 8};

	write_raw(p->a.fd, &h, sizeof(h));
	write_raw(p->a.fd, "abc", 3);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 0);
	pb_vu_conn_close(&p->a);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), -ECONNRESET);
}

static void test_mem_table_two_fds(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m, r;
	int f0 = memfd_create("t0", MFD_CLOEXEC);
	int f1 = memfd_create("t1", MFD_CLOEXEC);
	struct stat st;

	assert_int_equal(ftruncate(f0, 8192), 0);
	assert_int_equal(ftruncate(f1, 16384), 0);
	pb_vu_msg_set(&m, VHOST_USER_SET_MEM_TABLE, 0, 8 + 2 * 32);
	m.payload.memory.nregions = 2;
	m.payload.memory.padding = 0;
	m.payload.memory.regions[0] = (struct pb_vu_mem_region){0x0, 8192, 0x7f0000000000, 0};
	m.payload.memory.regions[1] =
	    (struct pb_vu_mem_region){0x100000, 16384, 0x7f1000000000, 4096};
	m.fds[0] = f0;
	m.fds[1] = f1;
	m.nfds = 2;
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 1);
	assert_int_equal(r.hdr.size, 8 + 2 * 32);
	assert_int_equal(r.payload.memory.nregions, 2);
	assert_true(r.payload.memory.regions[1].guest_phys_addr == 0x100000);
	assert_true(r.payload.memory.regions[1].userspace_addr == 0x7f1000000000);
	assert_true(r.payload.memory.regions[1].mmap_offset == 4096);
	/* Bytes past hdr.size read as zero, not as an older message. */
	assert_true(r.payload.memory.regions[2].memory_size == 0);
	assert_int_equal(r.nfds, 2);
	assert_int_equal(fstat(r.fds[0], &st), 0);
	assert_int_equal(st.st_size, 8192);
	assert_int_equal(fstat(r.fds[1], &st), 0);
	assert_int_equal(st.st_size, 16384);
	pb_vu_msg_close_fds(&r);
	close(f0);
	close(f1);
}

/* More fds than a message may carry: -EPROTO, and none of them leak. */
static void test_too_many_fds(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg r;
	struct pb_vu_hdr h = {VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, 0};
	int fds[PB_VU_MAX_FDS + 1];
	int before = open_fds();

	for (int i = 0; i <= PB_VU_MAX_FDS; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	sendmsg_raw(p->a.fd, &h, sizeof(h), fds, PB_VU_MAX_FDS + 1);
	for (int i = 0; i <= PB_VU_MAX_FDS; i++)
		close(fds[i]);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), -EPROTO);
	pb_vu_conn_close(&p->b);
	assert_int_equal(open_fds(), before - 1); /* p->b's socket is gone too */
}

/* Closing a connection with a partial message closes its fds. */
static void test_close_partial(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg r;
	struct pb_vu_hdr h = {VHOST_USER_SET_VRING_CALL, VHOST_USER_VERSION, 8};
	int efd = eventfd(0, EFD_CLOEXEC);
	int before = open_fds();

	sendmsg_raw(p->a.fd, &h, sizeof(h), &efd, 1);
	close(efd);
	assert_int_equal(pb_vu_conn_recv(&p->b, &r), 0);
	assert_int_equal(p->b.rx.nfds, 1);
	pb_vu_conn_close(&p->b);
	assert_int_equal(open_fds(), before - 2); /* the eventfd and the socket */
}

static void test_recv_wait(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m, r;

	assert_int_equal(pb_vu_conn_recv_wait(&p->b, &r, 20), -ETIMEDOUT);
	pb_vu_msg_set(&m, VHOST_USER_GET_VRING_BASE, VHOST_USER_REPLY_MASK, 8);
	m.payload.state = (struct pb_vu_vring_state){1, 42};
	assert_int_equal(pb_vu_conn_send(&p->a, &m), 0);
	assert_int_equal(pb_vu_conn_recv_wait(&p->b, &r, 1000), 1);
	assert_int_equal(r.payload.state.num, 42);
	pb_vu_conn_close(&p->a);
	assert_int_equal(pb_vu_conn_recv_wait(&p->b, &r, 1000), -ECONNRESET);
}

/* Sending to a closed peer is an error, not a SIGPIPE. */
static void test_send_to_closed_peer(void **state)
{
	struct pair *p = *state;
	struct pb_vu_msg m;

	pb_vu_conn_close(&p->b);
	pb_vu_msg_set(&m, VHOST_USER_GET_FEATURES, 0, 0);
	assert_int_equal(pb_vu_conn_send(&p->a, &m), -EPIPE);
	pb_vu_msg_set(&m, VHOST_USER_GET_FEATURES, 0, sizeof(m.payload) + 1);
	assert_int_equal(pb_vu_conn_send(&p->a, &m), -EINVAL);

	struct pb_vu_conn none;
	pb_vu_conn_init(&none, -1);
	assert_int_equal(pb_vu_conn_send(&none, &m), -ENOTCONN);
	assert_int_equal(pb_vu_conn_recv(&none, &m), -ENOTCONN);
}

static void test_request_names(void **state)
{
	(void)state;
	assert_string_equal(pb_vu_request_name(VHOST_USER_GET_FEATURES), "GET_FEATURES");
	assert_string_equal(pb_vu_request_name(VHOST_USER_GET_STATUS), "GET_STATUS");
	assert_string_equal(pb_vu_request_name(0), "UNKNOWN");
	assert_string_equal(pb_vu_request_name(VHOST_USER_MAX_REQUEST), "UNKNOWN");
	assert_string_equal(pb_vu_request_name(UINT32_MAX), "UNKNOWN");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_whole_message),
	    T(test_empty_payload),
	    T(test_byte_by_byte),
	    T(test_fds_passed),
	    T(test_fds_stay_with_their_message),
	    cmocka_unit_test(test_bad_version),
	    T(test_oversize),
	    T(test_max_payload),
	    T(test_eof),
	    T(test_eof_mid_message),
	    T(test_mem_table_two_fds),
	    T(test_too_many_fds),
	    T(test_close_partial),
	    T(test_recv_wait),
	    T(test_send_to_closed_peer),
	    T(test_request_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
