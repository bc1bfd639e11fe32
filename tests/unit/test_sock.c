/* SPDX-License-Identifier: MIT */
/*
 * test_sock.c - the socket and eventfd helpers hold up against a peer that
 * shares our fds and tries to make us block on them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/sock.h"

static uint64_t ms_since(uint64_t t0)
{
	return (pb_now_ns() - t0) / 1000000;
}

/* A peer clears O_NONBLOCK on the eventfd we share: draining an empty one
 * must still return at once. */
static void test_drain_blocking_eventfd(void **state)
{
	(void)state;
	int fd = eventfd(0, EFD_CLOEXEC); /* blocking, as the peer left it */
	uint64_t t0 = pb_now_ns();

	assert_true(fd >= 0);
	assert_false(pb_eventfd_drain(fd));
	assert_true(ms_since(t0) < 500);
	assert_int_equal(pb_eventfd_signal(fd), 0);
	assert_true(pb_eventfd_drain(fd));
	close(fd);
}

/* A saturated counter on a blocking eventfd: signalling must not block. */
static void test_signal_saturated_eventfd(void **state)
{
	(void)state;
	int fd = eventfd(0, EFD_CLOEXEC);
	uint64_t big = 0xfffffffffffffffeULL;
	uint64_t t0 = pb_now_ns();

	assert_int_equal(write(fd, &big, sizeof(big)), sizeof(big));
	assert_int_equal(pb_eventfd_signal(fd), 0);
	assert_true(ms_since(t0) < 500);
	close(fd);
}

static void test_fd_is_eventfd(void **state)
{
	(void)state;
	int p[2];
	int e = eventfd(0, EFD_CLOEXEC);

	assert_int_equal(pipe(p), 0);
	assert_true(pb_fd_is_eventfd(e));
	assert_false(pb_fd_is_eventfd(p[0]));
	assert_false(pb_fd_is_eventfd(p[1]));
	assert_false(pb_fd_is_eventfd(-1));
	close(p[0]);
	close(p[1]);
	close(e);
}

/* A listener that never accepts, backlog full: connect fails fast. */
static void test_connect_full_backlog(void **state)
{
	(void)state;
	char dir[] = "/tmp/pb-sock-XXXXXX";
	char path[64];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 0), 0);
	int held[4], n = 0;
	uint64_t t0 = pb_now_ns();
	for (int i = 0; i < 4; i++) {
		int fd = pb_sock_connect(path);
		if (fd >= 0)
			held[n++] = fd;
		else
			assert_int_equal(fd, -EAGAIN);
	}
	assert_true(n < 4); /* the backlog did fill up */
	assert_true(ms_since(t0) < 1000);
	/* And a live listener is never taken for a stale socket file. */
	assert_int_equal(pb_sock_listen(path), -EADDRINUSE);
	for (int i = 0; i < n; i++)
		close(held[i]);
	close(l);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_drain_blocking_eventfd),
	    cmocka_unit_test(test_signal_saturated_eventfd),
	    cmocka_unit_test(test_fd_is_eventfd),
	    cmocka_unit_test(test_connect_full_backlog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
