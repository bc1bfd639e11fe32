/* SPDX-License-Identifier: MIT */
/* mkdirs.c - see mkdirs.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "mkdirs.h"

int pbctl_mkdirs(const char *path, mode_t parents, mode_t leaf)
{
	char buf[PATH_MAX];

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		return -ENAMETOOLONG;
	for (char *s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(buf, parents) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return mkdir(buf, leaf) < 0 && errno != EEXIST ? -errno : 0;
}
