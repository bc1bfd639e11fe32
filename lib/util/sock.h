/* SPDX-License-Identifier: MIT */
/* sock.h - Unix socket set-up shared by both vhost-user roles, and a clock. */
#ifndef PB_SOCK_H
#define PB_SOCK_H

#include <stdint.h>

/*
 * Listen on @path (non-blocking, close-on-exec, mode 0660). A socket file
 * left behind by a dead process is replaced; one with a live listener gives
 * -EADDRINUSE. Returns the fd or -errno (-ENAMETOOLONG, -EACCES, ...).
 */
int pb_sock_listen(const char *path);

/* Accept one pending connection: the fd (close-on-exec), -EAGAIN if none. */
int pb_sock_accept(int listen_fd);

/* Connect to @path (a local connect completes at once). Returns the fd
 * (close-on-exec) or -errno: -ENOENT / -ECONNREFUSED when nobody listens. */
int pb_sock_connect(const char *path);

/* Monotonic time in nanoseconds. */
uint64_t pb_now_ns(void);

/* Register @fd for EPOLLIN on @epfd (level-triggered); 0 or -errno.
 * epfd < 0 (no epoll set: tests, fuzzers) is a no-op. */
int pb_ev_add(int epfd, int fd);
/* Unregister; errors are ignored (the fd may already be closed). */
void pb_ev_del(int epfd, int fd);

/* Close *fd if open and set it to -1. */
void pb_close_fd(int *fd);

/* Arm a timerfd to fire once in @ms milliseconds; 0 or -errno. */
int pb_timerfd_arm_ms(int fd, uint64_t ms);

/* True if @fd is an eventfd (a peer may pass a pipe, a socket, anything). */
_Bool pb_fd_is_eventfd(int fd);

/* Drain an eventfd without blocking; returns true if it was signalled. */
_Bool pb_eventfd_drain(int fd);
/* Signal an eventfd; 0 or -errno. */
int pb_eventfd_signal(int fd);

#endif /* PB_SOCK_H */
