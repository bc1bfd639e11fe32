/* SPDX-License-Identifier: MIT */
/*
 * app.c - the app as it will run inside: its binary, its argv with
 * {port0}/{name} replaced, its environment.
 *
 * The container's root holds the host's /usr read-only and nothing else of
 * the host's, so an app outside /usr (a build tree's binary, say) is mounted
 * read-only at /opt/pbrun/NAME. Its shared libraries must then be under
 * /usr too, or linked in.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pbrun.h"

#define INNER_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:" PBRUN_INNER_APP

static bool find_on_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char buf[8192];

	snprintf(buf, sizeof(buf), "%s", path ? path : "/usr/bin:/bin");
	for (char *save, *dir = strtok_r(buf, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX + 256];

		snprintf(cand, sizeof(cand), "%s/%s", *dir ? dir : ".", name);
		if (access(cand, X_OK) == 0 && realpath(cand, out) && strlen(out) < len)
			return true;
	}
	return false;
}

/* Replace {portN} and {name} in @arg. */
static char *expand(const struct pbrun *r, const char *arg)
{
	size_t cap = strlen(arg) + 1;
	char *out;
	size_t n = 0;

	for (const char *p = arg; (p = strchr(p, '{')); p++)
		cap += 128 + PBRUN_NAME_MAX;
	out = malloc(cap);
	if (!out)
		return NULL;
	for (const char *p = arg; *p;) {
		unsigned idx;
		int used = 0;

		if (sscanf(p, "{port%u}%n", &idx, &used) == 1 && used > 0) {
			if (idx >= (unsigned)r->n_ports) {
				pbrun_log("%s: there is no port %u (%d --port given)", arg, idx,
					  r->n_ports);
				free(out);
				return NULL;
			}
			n += (size_t)sprintf(out + n, "%s", r->port[idx].inner_path);
			p += used;
		} else if (strncmp(p, "{name}", 6) == 0) {
			n += (size_t)sprintf(out + n, "%s", r->name);
			p += 6;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

__attribute__((format(printf, 1, 2))) static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;
	int rc;

	va_start(ap, f);
	rc = vasprintf(&s, f, ap);
	va_end(ap);
	return rc < 0 ? NULL : s;
}

int pbrun_prepare_app(struct pbrun *r)
{
	const char *app = r->app_argv[0];
	char inner_app[PATH_MAX];
	int n = 0;

	snprintf(inner_app, sizeof(inner_app), "%s", app);
	if (!r->rootfs || r->engine != PBRUN_BUILTIN) {
		char resolved[PATH_MAX];

		if (strchr(app, '/') ? !realpath(app, resolved) || access(resolved, X_OK) < 0
				     : !find_on_path(app, resolved, sizeof(resolved))) {
			pbrun_log("%s: no such program", app);
			return -1;
		}
		snprintf(r->app_path, sizeof(r->app_path), "%s", resolved);
		if (strncmp(resolved, "/usr/", 5) == 0) {
			snprintf(inner_app, sizeof(inner_app), "%s", resolved);
		} else if (r->n_volumes < PBRUN_MAX_VOLUMES) {
			struct pbrun_volume *v = &r->volume[r->n_volumes++];
			const char *base = strrchr(resolved, '/') + 1;

			snprintf(v->host, sizeof(v->host), "%s", resolved);
			snprintf(v->inner, sizeof(v->inner), "%s/%s", PBRUN_INNER_APP, base);
			snprintf(inner_app, sizeof(inner_app), "%s", v->inner);
		}
	}

	r->argv = calloc((size_t)r->app_argc + 1, sizeof(char *));
	r->envp = calloc(PBRUN_MAX_ENV + PBRUN_MAX_PORTS + 8, sizeof(char *));
	if (!r->argv || !r->envp)
		return -1;
	r->argv[0] = strdup(inner_app);
	for (int i = 1; i < r->app_argc; i++)
		if (!(r->argv[i] = expand(r, r->app_argv[i])))
			return -1;

	r->envp[n++] = strdup("PATH=" INNER_PATH);
	r->envp[n++] = strdup("HOME=/tmp");
	r->envp[n++] = strdup("XDG_RUNTIME_DIR=/tmp");
	if (getenv("TERM"))
		r->envp[n++] = fmt("TERM=%s%s", getenv("TERM"), "");
	r->envp[n++] = fmt("PATCHBAY_NAME=%s%s", r->name, "");
	char count[16];
	snprintf(count, sizeof(count), "%d", r->n_ports);
	r->envp[n++] = fmt("PATCHBAY_PORTS=%s%s", count, "");
	for (int i = 0; i < r->n_ports; i++) {
		char key[32];

		snprintf(key, sizeof(key), "PATCHBAY_PORT%d=", i);
		r->envp[n++] = fmt("%s%s", key, r->port[i].inner_path);
	}
	for (int i = 0; i < r->n_env; i++)
		r->envp[n++] = strdup(r->env[i]);
	for (int i = 0; i < n; i++)
		if (!r->envp[i])
			return -1;
	return 0;
}
