/* SPDX-License-Identifier: MIT */
/*
 * patchbay.h - libpatchbay: userspace virtio networking over shared memory.
 *
 * This is the one header an application includes. It declares the library's
 * common calls (errors, logging, version) and pulls in the port API
 * (<patchbay/port.h>), which is how packets are moved.
 *
 * Conventions, for every call in the library:
 *  - control calls return 0 (or a non-negative value) on success and a
 *    negative errno on failure;
 *  - constructors return a handle, or NULL with errno set;
 *  - burst calls (rx/tx) return a count and never fail: a broken port moves
 *    zero frames;
 *  - the library owns no threads, no global state beyond the log hook, and
 *    never blocks except where a call says so. One handle must not be used
 *    by two threads at once; different handles are independent.
 */
#ifndef PATCHBAY_PATCHBAY_H
#define PATCHBAY_PATCHBAY_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PB_API
#define PB_API __attribute__((visibility("default")))
#endif

#define PB_VERSION_MAJOR 0
#define PB_VERSION_MINOR 1
#define PB_VERSION_PATCH 0

/** Library version as "MAJOR.MINOR.PATCH"; a static string. */
PB_API const char *pb_version(void);

/**
 * Describe an error returned by a libpatchbay call.
 *
 * @param err  an errno value, positive or negative (both are accepted).
 * @param buf  caller's buffer; the text is always NUL-terminated.
 * @param len  size of @buf in bytes; 0 writes nothing.
 * @return @buf.
 * Thread safety: safe; writes only into @buf.
 */
PB_API const char *pb_strerror(int err, char *buf, size_t len);

enum pb_log_level {
	PB_LOG_ERR = 0,
	PB_LOG_WARN = 1,
	PB_LOG_INFO = 2,
	PB_LOG_DEBUG = 3,
};

/** A log sink: receives one message (no trailing newline) per call. */
typedef void (*pb_log_fn)(enum pb_log_level level, const char *fmt, va_list ap);

/**
 * Route the library's log messages to @fn (NULL restores the default, which
 * writes WARN and ERR to stderr) and drop messages above @max_level.
 * This is the library's only global state. Call it before opening ports;
 * it is not synchronised with calls running in other threads.
 */
PB_API void pb_set_log(pb_log_fn fn, enum pb_log_level max_level);

#ifdef __cplusplus
}
#endif

#include <patchbay/port.h>

#endif /* PATCHBAY_PATCHBAY_H */
