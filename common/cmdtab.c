/* SPDX-License-Identifier: MIT */
/*
 * cmdtab.c - the command table and the command-line -> request builders.
 * Each builder checks only the shape of the words (how many, which flags):
 * names, types and options are checked by the daemon, which knows them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/bridge_args.h"
#include "common/capture_opts.h"
#include "common/cmdtab.h"

/* "WHY; usage: CMD USAGE": the usage comes from the command's row. */
static int usage_err(const struct pbctl_cmd *c, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s; usage: %s%s%s", why, c->name, *c->usage ? " " : "",
		 *c->usage ? c->usage : "(no arguments)");
	return -1;
}

static int pbctl_build_no_args(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			       char *err, size_t errlen)
{
	(void)args;
	(void)argv;
	if (argc > 0)
		return usage_err(c, err, errlen, "unexpected argument");
	return 0;
}

/* add TYPE:ID [KEY=VALUE...] */
static int pbctl_build_add(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			   char *err, size_t errlen)
{
	if (argc < 1)
		return usage_err(c, err, errlen, "missing the port");
	json_object_set_new(args, "port", json_string(argv[0]));
	json_t *opts = json_object();
	json_object_set_new(args, "opts", opts);
	for (int i = 1; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq || eq == argv[i]) {
			snprintf(err, errlen, "option '%s': expected KEY=VALUE", argv[i]);
			return -1;
		}
		char key[128];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		if (json_object_get(opts, key)) {
			snprintf(err, errlen, "option '%s' given twice", key);
			return -1;
		}
		json_object_set_new(opts, key, json_string(eq + 1));
	}
	return 0;
}

/* del PORT [--force] */
static int pbctl_build_del(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			   char *err, size_t errlen)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			json_object_set_new(args, "force", json_true());
		else if (argv[i][0] == '-')
			return usage_err(c, err, errlen, "unknown flag");
		else if (n++ == 0)
			json_object_set_new(args, "port", json_string(argv[i]));
		else
			return usage_err(c, err, errlen, "one port at a time");
	}
	if (!n)
		return usage_err(c, err, errlen, "missing the port");
	return 0;
}

/* patch FROM TO [--both], unpatch FROM [TO] [--both] */
static int build_pair(const struct pbctl_cmd *c, bool to_needed, int argc, char **argv,
		      json_t *args, char *err, size_t errlen)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--both") || !strcmp(argv[i], "-b"))
			json_object_set_new(args, "both", json_true());
		else if (argv[i][0] == '-')
			return usage_err(c, err, errlen, "unknown flag");
		else if (n == 0 || n == 1)
			json_object_set_new(args, n++ ? "to" : "from", json_string(argv[i]));
		else
			return usage_err(c, err, errlen, "too many ports");
	}
	if (n < (to_needed ? 2 : 1))
		return usage_err(c, err, errlen, "missing a port");
	return 0;
}

static int pbctl_build_patch(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			     char *err, size_t errlen)
{
	return build_pair(c, true, argc, argv, args, err, errlen);
}

static int pbctl_build_unpatch(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			       char *err, size_t errlen)
{
	return build_pair(c, false, argc, argv, args, err, errlen);
}

/* CMD [PORT], with the CLI's own display flags (@flags, NULL-terminated)
 * allowed and ignored here: they change how a result is shown. */
static int build_opt_port(const struct pbctl_cmd *c, const char *const *flags, int argc,
			  char **argv, json_t *args, char *err, size_t errlen)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		bool flag = false;
		for (unsigned f = 0; flags[f]; f++)
			flag |= !strcmp(argv[i], flags[f]);
		if (flag) {
			if (!strcmp(argv[i], "--count") && ++i == argc)
				return usage_err(c, err, errlen, "--count needs a value");
			continue;
		}
		if (argv[i][0] == '-')
			return usage_err(c, err, errlen, "unknown flag");
		if (n++)
			return usage_err(c, err, errlen, "one port at a time");
		json_object_set_new(args, "port", json_string(argv[i]));
	}
	return 0;
}

static int pbctl_build_stats(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			     char *err, size_t errlen)
{
	static const char *const flags[] = {"-w", "--watch", "--count", NULL};
	return build_opt_port(c, flags, argc, argv, args, err, errlen);
}

static int pbctl_build_clear(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			     char *err, size_t errlen)
{
	static const char *const flags[] = {NULL};
	return build_opt_port(c, flags, argc, argv, args, err, errlen);
}

static int pbctl_build_show(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			    char *err, size_t errlen)
{
	static const char *const flags[] = {NULL};
	if (argc != 1)
		return usage_err(c, err, errlen, "give one port");
	return build_opt_port(c, flags, argc, argv, args, err, errlen);
}

static int pbctl_build_topo(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			    char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dot"))
			continue;
		if (!strcmp(argv[i], "--svg") || !strcmp(argv[i], "--png")) {
			if (++i == argc)
				return usage_err(c, err, errlen, "missing the file name");
			continue;
		}
		return usage_err(c, err, errlen, "unknown argument");
	}
	(void)args;
	return 0;
}

/* save [FILE]: the file is the CLI's to write; the daemon is asked nothing
 * but the recipe. */
static int pbctl_build_save(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			    char *err, size_t errlen)
{
	(void)argv;
	(void)args;
	if (argc > 1)
		return usage_err(c, err, errlen, "one file at a time");
	return 0;
}

const struct pbctl_cmd pbctl_cmds[PBCTL_CMD_COUNT + 1] = {
#define PBCTL_CMD_ROW(ID, name, usage, help, read, complete, build, show)                          \
	[PBCTL_CMD_##                                                                              \
	    ID] = {PBCTL_CMD_##ID,     #name, usage, help, read, PBCTL_COMPLETE_##complete,        \
		   pbctl_build_##build},
    PBCTL_COMMANDS(PBCTL_CMD_ROW)
#undef PBCTL_CMD_ROW
	[PBCTL_CMD_COUNT] = {PBCTL_CMD_COUNT, NULL, NULL, NULL, false, PBCTL_COMPLETE_NONE, NULL},
};

json_t *pbctl_request_args(enum pbctl_cmd_id id, json_t *args)
{
	return json_pack("{s:i, s:s, s:o}", "v", PBCTL_PROTOCOL, "cmd", pbctl_cmds[id].name, "args",
			 args ? args : json_object());
}

const struct pbctl_cmd *pbctl_cmd_find(const char *name)
{
	for (const struct pbctl_cmd *c = pbctl_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

json_t *pbctl_request(int argc, char **argv, int id, char *err, size_t errlen)
{
	if (argc < 1) {
		snprintf(err, errlen, "no command");
		return NULL;
	}
	const struct pbctl_cmd *c = pbctl_cmd_find(argv[0]);
	if (!c) {
		snprintf(err, errlen, "unknown command '%s' (try 'help')", argv[0]);
		return NULL;
	}
	json_t *args = json_object();
	if (c->build(c, argc - 1, argv + 1, args, err, errlen) < 0) {
		json_decref(args);
		return NULL;
	}
	json_t *req = pbctl_request_args(c->id, args);
	json_object_set_new(req, "id", json_integer(id));
	return req;
}

int pbctl_split(const char *line, char ***words, char *err, size_t errlen)
{
	size_t cap = 8, n = 0, len = strlen(line);
	char **w = calloc(cap + 1, sizeof(*w));
	char *buf = malloc(len + 1);

	if (!w || !buf)
		goto oom;
	for (const char *s = line;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s || *s == '#')
			break;
		size_t b = 0;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;
				while (*s && *s != q)
					buf[b++] = *s++;
				if (!*s) {
					snprintf(err, errlen, "unterminated %c quote", q);
					free(buf);
					pbctl_free_words(w);
					return -1;
				}
				s++;
			} else {
				buf[b++] = *s++;
			}
		}
		buf[b] = 0;
		if (n == cap) {
			char **nw = realloc(w, (cap * 2 + 1) * sizeof(*w));
			if (!nw)
				goto oom;
			w = nw;
			cap *= 2;
		}
		if (!(w[n++] = strdup(buf)))
			goto oom;
		w[n] = NULL;
	}
	free(buf);
	*words = w;
	return (int)n;
oom:
	snprintf(err, errlen, "out of memory");
	free(buf);
	pbctl_free_words(w);
	return -1;
}

void pbctl_free_words(char **words)
{
	for (size_t i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
}

void pbctl_default_run_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(out, len, "/run/patchbay");
	else if (xdg && *xdg)
		snprintf(out, len, "%s/patchbay", xdg);
	else
		snprintf(out, len, "/tmp/patchbay-%u", (unsigned)geteuid());
}
