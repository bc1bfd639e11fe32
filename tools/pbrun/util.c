/* SPDX-License-Identifier: MIT */
/*
 * util.c - pbrun's messages, small files, shell quoting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pbrun.h"

void pbrun_log(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "pbrun: %s\n", msg);
}

/* Write @text as the whole of @path (created 0644, or truncated). Also for
 * cgroup and /proc files, which want one write. */
int pbrun_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = len ? write(fd, text, len) : 0;
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)len ? 0 : -1;
}

/* @s as one shell word: as it is when that is safe, else in single quotes. */
char *pbrun_shell_quote(const char *s)
{
	size_t n = strlen(s);
	bool plain = n > 0;
	char *out, *o;

	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "@%+=:,./-_",
			    *p))
			plain = false;
	if (plain)
		return strdup(s);
	out = o = malloc(n * 4 + 3);
	if (!out)
		return NULL;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}
