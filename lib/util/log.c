/* SPDX-License-Identifier: MIT */
/* log.c - the log hook and the library's small common calls. */
#include <stdio.h>
#include <string.h>

#include "util/log.h"

static pb_log_fn log_fn;
static enum pb_log_level log_max = PB_LOG_WARN;

PB_API const char *pb_version(void)
{
	return "0.1.0";
}

PB_API void pb_set_log(pb_log_fn fn, enum pb_log_level max_level)
{
	log_fn = fn;
	log_max = max_level;
}

void pb_log(enum pb_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	if (log_fn) {
		log_fn(level, fmt, ap);
	} else {
		fprintf(stderr, "patchbay: %s: ", names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

PB_API const char *pb_strerror(int err, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (err < 0)
		err = -err;
	/* strerror_r (GNU) may return a static string instead of filling buf. */
	const char *s = strerror_r(err, buf, len);
	if (s != buf)
		snprintf(buf, len, "%s", s);
	return buf;
}
