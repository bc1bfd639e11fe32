/* SPDX-License-Identifier: MIT */
/*
 * log.c - structured log lines, to stderr or syslog. Each line is written
 * with one write() so that lines from several threads never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

static bool to_syslog;
static enum pb_log_level max_level = PB_LOG_INFO;

static const char *const level_name[] = {"error", "warn", "info", "debug"};

/* Append @s to @out as a logfmt quoted value body: quotes and backslashes
 * escaped, control characters dropped. */
static size_t quote(char *out, size_t cap, const char *s)
{
	size_t n = 0;

	for (; *s && n + 3 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			out[n++] = '\\';
		else if (c < 0x20)
			c = ' ';
		out[n++] = (char)c;
	}
	out[n] = 0;
	return n;
}

__attribute__((format(printf, 3, 0))) static void emit(enum pb_log_level level, const char *comp,
						       const char *fmt, va_list ap)
{
	char text[768], q[1024], line[1200];

	if (level > max_level)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	quote(q, sizeof(q), text);
	if (to_syslog) {
		static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
		syslog(prio[level], "level=%s comp=%s msg=\"%s\"", level_name[level], comp, q);
		return;
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s comp=%s msg=\"%s\"\n",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000000, level_name[level], comp, q);
	if (n > (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 1;
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to say so */
	}
}

void pbd_log(enum pb_log_level level, const char *comp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(level, comp, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 0))) static void lib_hook(enum pb_log_level level, const char *fmt,
							   va_list ap)
{
	emit(level, "lib", fmt, ap);
}

void pbd_log_init(bool use_syslog, enum pb_log_level level)
{
	to_syslog = use_syslog;
	max_level = level;
	if (use_syslog)
		openlog("patchbayd", LOG_PID, LOG_DAEMON);
	pb_set_log(lib_hook, level > PB_LOG_WARN ? level : PB_LOG_WARN);
}
