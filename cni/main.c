/* SPDX-License-Identifier: MIT */
/*
 * main.c - patchbay-cni's entry: the runtime's environment and stdin, the
 * verb, and the answer on stdout (a result, or the spec's error object and
 * a non-zero exit).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static char *read_stdin(size_t *len, struct cni_err *e)
{
	size_t cap = 4096;
	char *buf = malloc(cap);

	*len = 0;
	while (buf) {
		if (*len == cap) {
			if (cap >= CNI_MAX_STDIN) {
				free(buf);
				cni_fail(e, CNI_E_DECODE,
					 "the network configuration is over %d bytes",
					 CNI_MAX_STDIN);
				return NULL;
			}
			char *b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		ssize_t n = read(0, buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			cni_fail(e, CNI_E_IO, "reading stdin: %s", strerror(errno));
			return NULL;
		}
		if (n == 0)
			return buf;
		*len += (size_t)n;
	}
	free(buf);
	cni_fail(e, CNI_E_IO, "out of memory");
	return NULL;
}

static void print_version(const char *asked)
{
	json_t *o = json_pack("{s:s, s:[s,s,s,s,s]}", "cniVersion",
			      cni_version_known(asked) ? asked : CNI_SPEC_VERSION,
			      "supportedVersions", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0");

	cni_print_json(o);
	json_decref(o);
}

/* The variables a verb cannot do without (SPEC.md, "Parameters"). */
static int need(const char *name, const char *value, struct cni_err *e)
{
	if (!value)
		return cni_fail(e, CNI_E_ENV, "%s is not set (the runtime must set it for %s)",
				name, getenv("CNI_COMMAND"));
	return 0;
}

static int run(const struct cni_env *env, struct cni_conf *c, struct cni_err *e)
{
	const char *cmd = env->command;

	if (!strcmp(cmd, "ADD") || !strcmp(cmd, "DEL") || !strcmp(cmd, "CHECK")) {
		if (need("CNI_CONTAINERID", env->container_id, e) < 0 ||
		    need("CNI_IFNAME", env->ifname, e) < 0 ||
		    (strcmp(cmd, "DEL") && c->mode == CNI_MODE_TAP &&
		     need("CNI_NETNS", env->netns, e) < 0))
			return -1;
	}
	if (c->ipam && strcmp(cmd, "STATUS") && need("CNI_PATH", env->path, e) < 0)
		return -1;
	if (!strcmp(cmd, "ADD"))
		return cni_add(env, c, e);
	if (!strcmp(cmd, "DEL"))
		return cni_del(env, c, e);
	if (!strcmp(cmd, "CHECK"))
		return cni_check(env, c, e);
	if (!strcmp(cmd, "GC"))
		return cni_gc(env, c, e);
	return cni_status(env, c, e);
}

int main(int argc, char **argv)
{
	struct cni_env env = {
	    .command = env_or_null("CNI_COMMAND"),
	    .container_id = env_or_null("CNI_CONTAINERID"),
	    .netns = env_or_null("CNI_NETNS"),
	    .ifname = env_or_null("CNI_IFNAME"),
	    .args = env_or_null("CNI_ARGS"),
	    .path = env_or_null("CNI_PATH"),
	};
	struct cni_err e = {0};
	struct cni_conf c = {0};
	static const char *const verbs[] = {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"};
	bool known = false;

	(void)argv;
	if (argc > 1 || !env.command) {
		fprintf(stderr,
			"patchbay-cni: a CNI plugin (spec %s), run by a container runtime with "
			"CNI_COMMAND set and the network configuration on stdin; see "
			"docs/CNI.md\n",
			CNI_SPEC_VERSION);
		cni_fail(&e, CNI_E_ENV, "CNI_COMMAND is not set");
		cni_print_error(NULL, &e);
		return 1;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= !strcmp(verbs[i], env.command);
	if (!known) {
		cni_fail(&e, CNI_E_ENV,
			 "CNI_COMMAND '%s' is not a CNI verb (ADD DEL CHECK GC STATUS VERSION)",
			 env.command);
		cni_print_error(NULL, &e);
		return 1;
	}
	size_t len;
	char *text = read_stdin(&len, &e);
	if (!text) {
		cni_print_error(NULL, &e);
		return 1;
	}
	if (!strcmp(env.command, "VERSION")) {
		/* The one verb that answers whatever it was given. */
		json_t *o = json_loadb(text, len, 0, NULL);
		print_version(json_string_value(json_object_get(o, "cniVersion")));
		json_decref(o);
		free(text);
		return 0;
	}
	int r = cni_conf_parse(&c, text, len, &e);
	free(text);
	if (r == 0)
		r = run(&env, &c, &e);
	if (r < 0)
		cni_print_error(c.version, &e);
	cni_conf_free(&c);
	return r < 0 ? 1 : 0;
}
