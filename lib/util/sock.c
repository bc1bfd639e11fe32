/* SPDX-License-Identifier: MIT */
/* sock.c - Unix socket set-up shared by both vhost-user roles, and a clock. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/sock.h"

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	size_t len = strlen(path);

	if (len == 0)
		return -EINVAL;
	if (len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

int pb_sock_connect(const char *path)
{
	struct sockaddr_un sa;
	int err = fill_addr(&sa, path);

	if (err)
		return err;
	/* Non-blocking: a listener that never accepts, with a full backlog,
	 * would otherwise hold connect() (and the caller's thread) forever.
	 * A Unix connect either completes at once or fails with EAGAIN. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int pb_sock_listen(const char *path)
{
	struct sockaddr_un sa;
	int err = fill_addr(&sa, path);

	if (err)
		return err;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			goto fail;
		/* A file is there: a live server answers a connect, a stale one
		 * (its process died without unlinking) refuses it. */
		int probe = pb_sock_connect(path);
		if (probe >= 0 || probe == -EAGAIN) { /* EAGAIN: alive, backlog full */
			if (probe >= 0)
				close(probe);
			close(fd);
			return -EADDRINUSE;
		}
		struct stat st;
		if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			close(fd);
			return -EEXIST; /* never unlink something that is not a socket */
		}
		unlink(path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			goto fail;
	}
	chmod(path, 0660);
	if (listen(fd, 16) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int pb_sock_accept(int listen_fd)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

uint64_t pb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int pb_ev_add(int epfd, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (epfd < 0)
		return 0;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void pb_ev_del(int epfd, int fd)
{
	if (epfd >= 0 && fd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

void pb_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int pb_timerfd_arm_ms(int fd, uint64_t ms)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L},
	};

	/* An all-zero it_value would disarm it: fire in 1 ns instead. */
	if (ms == 0)
		its.it_value.tv_nsec = 1;
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

/*
 * Notification fds are shared with the peer: it holds the same open file
 * description and can clear O_NONBLOCK on it at any moment, which would turn
 * a plain read() or write() into one that blocks our thread for good.
 * RWF_NOWAIT makes the read non-blocking whatever the flags say. Writes to
 * an eventfd have no such flag, so O_NONBLOCK is set again just before each
 * one (a signal is sent at most once per burst, and only when asked for);
 * the window between the two calls is the one race left, see
 * docs/ARCHITECTURE.md.
 */
bool pb_eventfd_drain(int fd)
{
	uint64_t v;
	struct iovec iov = {.iov_base = &v, .iov_len = sizeof(v)};

	if (fd < 0)
		return false;
	ssize_t n = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
	/* Kernels without RWF_NOWAIT for this fd type: the fd was opened
	 * non-blocking, the peer would have to race us to change that. */
	if (n < 0 && errno == EOPNOTSUPP)
		n = read(fd, &v, sizeof(v));
	return n == (ssize_t)sizeof(v);
}

int pb_eventfd_signal(int fd)
{
	uint64_t one = 1;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		return 0;
	/* EAGAIN: the counter is saturated, the peer will wake anyway. */
	return errno == EAGAIN ? 0 : -errno;
}

bool pb_fd_is_eventfd(int fd)
{
	char path[64], target[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}
