/* SPDX-License-Identifier: MIT */
/*
 * port.c - what every port type shares: its id, the clock, and the parsing
 * of key=value options, each error naming the key and what it accepts. The
 * registry of types is the ports wing's (ports/registry.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/port.h"

uint64_t pbd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool refused(const struct pbd_port_type *t, const char *key)
{
	for (unsigned i = 0; t->lib_refused && t->lib_refused[i]; i++)
		if (!strcmp(t->lib_refused[i], key))
			return true;
	return false;
}

const char *pbd_port_type_key(const struct pbd_port_type *t, unsigned i, const char **help)
{
	const char *name, *h = "";
	unsigned own = 0;

	while (t->keys && t->keys[own])
		own++;
	if (i < own) {
		*help = h;
		return t->keys[i];
	}
	i -= own;
	for (unsigned k = 0; t->lib_keys && (name = pb_port_option(t->lib_role, k, &h)); k++) {
		if (refused(t, name) || i--)
			continue;
		*help = h;
		return name;
	}
	return NULL;
}

bool pbd_port_type_takes(const struct pbd_port_type *t, const char *key)
{
	const char *name, *help;

	for (unsigned i = 0; (name = pbd_port_type_key(t, i, &help)); i++)
		if (!strcmp(name, key))
			return true;
	return false;
}

const char *pbd_port_id(const struct pbd_port *p)
{
	const char *colon = strchr(p->name, ':');

	return colon ? colon + 1 : p->name;
}

const char *pbd_opt_str(const struct pbd_opts *o, const char *key, const char *dflt)
{
	json_t *v = o && o->obj ? json_object_get(o->obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : dflt;
}

int pbd_opt_uint(const struct pbd_opts *o, const char *key, uint64_t dflt, uint64_t min,
		 uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	const char *s = pbd_opt_str(o, key, NULL);
	char *end;

	if (!s) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		snprintf(err, errlen, "option %s=%s: expected an integer %llu..%llu", key, s,
			 (unsigned long long)min, (unsigned long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int pbd_opt_bool(const struct pbd_opts *o, const char *key, bool dflt, bool *out, char *err,
		 size_t errlen)
{
	const char *s = pbd_opt_str(o, key, NULL);

	if (!s) {
		*out = dflt;
		return 0;
	}
	if (!strcmp(s, "1") || !strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "0") || !strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off")) {
		*out = false;
		return 0;
	}
	snprintf(err, errlen, "option %s=%s: expected 0 or 1", key, s);
	return -EINVAL;
}
