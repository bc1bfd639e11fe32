/* SPDX-License-Identifier: MIT */
/*
 * bridge_args.c - `bridge` and `fdb` command lines into requests
 * (bridge_args.h). Each subcommand is a row: its positional words, whether
 * it takes KEY=VALUE options and which flag.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/bridge_args.h"
#include "common/cmdtab.h"

struct op_shape {
	const char *op;
	const char *words[3]; /* the names of its positional words, in order */
	unsigned need;	      /* how many of them must be given */
	bool opts;	      /* KEY=VALUE words go into "opts" */
	const char *flag;     /* the one flag it takes ("--force"), or NULL */
	const char *flag_key; /* what the flag sets true */
};

static const struct op_shape bridge_ops[] = {
    {"add", {"name"}, 1, true, NULL, NULL},
    {"del", {"name"}, 1, false, "--force", "force"},
    {"attach", {"name", "port"}, 2, true, NULL, NULL},
    {"detach", {"name", "port"}, 1, false, NULL, NULL},
    {"show", {"name"}, 0, false, NULL, NULL},
    {NULL, {NULL}, 0, false, NULL, NULL},
};

static const struct op_shape fdb_ops[] = {
    {"show", {"name"}, 0, false, NULL, NULL},
    {"add", {"name", "mac", "port"}, 3, true, NULL, NULL},
    {"del", {"name", "mac"}, 2, true, NULL, NULL},
    {NULL, {NULL}, 0, false, NULL, NULL},
};

static const struct op_shape mirror_ops[] = {
    {"add", {"name"}, 1, true, NULL, NULL},
    {"del", {"name"}, 1, false, NULL, NULL},
    {"show", {NULL}, 0, false, NULL, NULL},
    {NULL, {NULL}, 0, false, NULL, NULL},
};

static int usage(const struct pbctl_cmd *c, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s; usage: %s %s", why, c->name, c->usage);
	return -1;
}

static int build(const struct pbctl_cmd *c, const struct op_shape *ops, int argc, char **argv,
		 json_t *args, char *err, size_t errlen)
{
	const struct op_shape *s = ops;
	unsigned n = 0, max = 0;
	json_t *opts = NULL;

	if (argc == 0) {
		json_object_set_new(args, "op", json_string("show"));
		return 0;
	}
	while (s->op && strcmp(s->op, argv[0]))
		s++;
	if (!s->op)
		return usage(c, err, errlen, "unknown subcommand");
	json_object_set_new(args, "op", json_string(s->op));
	while (max < 3 && s->words[max])
		max++;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		if (s->flag &&
		    (!strcmp(a, s->flag) || (a[0] == '-' && a[1] == s->flag[2] && !a[2]))) {
			json_object_set_new(args, s->flag_key, json_true());
		} else if (a[0] == '-') {
			return usage(c, err, errlen, "unknown flag");
		} else if (eq && eq != a && s->opts) {
			if (!opts)
				json_object_set_new(args, "opts", opts = json_object());
			char key[128];
			snprintf(key, sizeof(key), "%.*s", (int)(eq - a), a);
			if (json_object_get(opts, key)) {
				snprintf(err, errlen, "option '%s' given twice", key);
				return -1;
			}
			json_object_set_new(opts, key, json_string(eq + 1));
		} else if (n < max) {
			json_t *w = json_string(a);
			if (!w) {
				snprintf(err, errlen, "%s %s: the %s is not UTF-8 text", c->name,
					 s->op, s->words[n]);
				return -1;
			}
			json_object_set_new(args, s->words[n++], w);
		} else {
			return usage(c, err, errlen, "too many words");
		}
	}
	/* detach [NAME] PORT: one word is the port. */
	if (!strcmp(s->op, "detach") && n == 1) {
		json_object_set(args, "port", json_object_get(args, "name"));
		json_object_del(args, "name");
	}
	if (n < s->need)
		return usage(c, err, errlen, "missing a word");
	return 0;
}

int pbctl_build_bridge(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		       size_t errlen)
{
	return build(c, bridge_ops, argc, argv, args, err, errlen);
}

int pbctl_build_fdb(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		    size_t errlen)
{
	return build(c, fdb_ops, argc, argv, args, err, errlen);
}

int pbctl_build_mirror(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		       size_t errlen)
{
	return build(c, mirror_ops, argc, argv, args, err, errlen);
}
