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

#include "cmdtab.h"

static int usage_err(const char *cmd, const char *usage, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s; usage: %s %s", why, cmd, usage);
	return -1;
}

static int no_args(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	(void)args;
	(void)argv;
	if (argc > 0)
		return usage_err("this command", "(no arguments)", err, errlen,
				 "unexpected argument");
	return 0;
}

/* add TYPE:ID [KEY=VALUE...] */
static int build_add(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	static const char *usage = "TYPE:ID [KEY=VALUE...]";

	if (argc < 1)
		return usage_err("add", usage, err, errlen, "missing the port");
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
static int build_del(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			json_object_set_new(args, "force", json_true());
		else if (argv[i][0] == '-')
			return usage_err("del", "PORT [--force]", err, errlen, "unknown flag");
		else if (n++ == 0)
			json_object_set_new(args, "port", json_string(argv[i]));
		else
			return usage_err("del", "PORT [--force]", err, errlen,
					 "one port at a time");
	}
	if (!n)
		return usage_err("del", "PORT [--force]", err, errlen, "missing the port");
	return 0;
}

/* patch FROM TO [--both], unpatch FROM [TO] [--both] */
static int build_pair(const char *cmd, bool to_needed, int argc, char **argv, json_t *args,
		      char *err, size_t errlen)
{
	const char *usage = to_needed ? "FROM TO [--both]" : "FROM [TO] [--both]";
	int n = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--both") || !strcmp(argv[i], "-b"))
			json_object_set_new(args, "both", json_true());
		else if (argv[i][0] == '-')
			return usage_err(cmd, usage, err, errlen, "unknown flag");
		else if (n == 0 || n == 1)
			json_object_set_new(args, n++ ? "to" : "from", json_string(argv[i]));
		else
			return usage_err(cmd, usage, err, errlen, "too many ports");
	}
	if (n < (to_needed ? 2 : 1))
		return usage_err(cmd, usage, err, errlen, "missing a port");
	return 0;
}

static int build_patch(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	return build_pair("patch", true, argc, argv, args, err, errlen);
}

static int build_unpatch(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	return build_pair("unpatch", false, argc, argv, args, err, errlen);
}

/* CMD [PORT], with the CLI's own display flags allowed (and ignored here). */
static int build_opt_port(const char *cmd, const char *const *flags, int argc, char **argv,
			  json_t *args, char *err, size_t errlen)
{
	char usage[128];
	int n = 0;

	snprintf(usage, sizeof(usage), "[PORT]%s%s", flags[0] ? " " : "", flags[0] ? flags[0] : "");
	for (int i = 0; i < argc; i++) {
		bool flag = false;
		for (unsigned f = 1; flags[f]; f++) {
			if (!strcmp(argv[i], flags[f])) {
				flag = true;
				/* --svg FILE takes a value */
				if (!strcmp(flags[f], "--svg") || !strcmp(flags[f], "--png"))
					i++;
			}
		}
		if (flag)
			continue;
		if (argv[i][0] == '-')
			return usage_err(cmd, usage, err, errlen, "unknown flag");
		if (n++)
			return usage_err(cmd, usage, err, errlen, "one port at a time");
		json_object_set_new(args, "port", json_string(argv[i]));
	}
	return 0;
}

static int build_stats(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	static const char *const flags[] = {"[-w|--watch]", "-w", "--watch", NULL};
	return build_opt_port("stats", flags, argc, argv, args, err, errlen);
}

static int build_clear(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	static const char *const flags[] = {"", NULL};
	return build_opt_port("clear", flags, argc, argv, args, err, errlen);
}

static int build_show(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	static const char *const flags[] = {"", NULL};
	if (argc != 1)
		return usage_err("show", "PORT", err, errlen, "give one port");
	return build_opt_port("show", flags, argc, argv, args, err, errlen);
}

static int build_topo(int argc, char **argv, json_t *args, char *err, size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dot"))
			continue;
		if (!strcmp(argv[i], "--svg") || !strcmp(argv[i], "--png")) {
			if (++i == argc)
				return usage_err("topo", "[--dot | --svg FILE | --png FILE]", err,
						 errlen, "missing the file name");
			continue;
		}
		return usage_err("topo", "[--dot | --svg FILE | --png FILE]", err, errlen,
				 "unknown argument");
	}
	(void)args;
	return 0;
}

const struct pb_cmd pb_cmds[] = {
    {"add", "TYPE:ID [KEY=VALUE...]", "add a port (types: vhost virtio tap pcap null)", false,
     PB_COMPLETE_TYPES, build_add},
    {"del", "PORT [--force]", "delete a port (--force: unpatch it first)", false, PB_COMPLETE_PORTS,
     build_del},
    {"patch", "FROM TO [--both]", "send FROM's received frames to TO (--both: and back)", false,
     PB_COMPLETE_PORTS, build_patch},
    {"unpatch", "FROM [TO] [--both]", "remove the patch FROM -> TO (every one from FROM)", false,
     PB_COMPLETE_PORTS, build_unpatch},
    {"reset", "", "remove every patch (ports stay)", false, PB_COMPLETE_NONE, no_args},
    {"status", "", "ports, their links and the patches", true, PB_COMPLETE_NONE, no_args},
    {"show", "PORT", "one port in full: options, link, counters", true, PB_COMPLETE_PORTS,
     build_show},
    {"stats", "[PORT] [-w|--watch]", "port counters and drops (-w: live rates each second)", true,
     PB_COMPLETE_PORTS, build_stats},
    {"clear", "[PORT]", "zero the counters (of one port)", false, PB_COMPLETE_PORTS, build_clear},
    {"workers", "", "worker threads: ports, busy/poll/sleep share, wake-ups", true,
     PB_COMPLETE_NONE, no_args},
    {"topo", "[--dot | --svg FILE | --png FILE]", "the port graph: text, Graphviz DOT, or drawn",
     true, PB_COMPLETE_NONE, build_topo},
    {"version", "", "the daemon's version and protocol", true, PB_COMPLETE_NONE, no_args},
    {NULL, NULL, NULL, false, PB_COMPLETE_NONE, NULL},
};

const struct pb_cmd *pb_cmd_find(const char *name)
{
	for (const struct pb_cmd *c = pb_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

json_t *pb_cmd_request(int argc, char **argv, int id, char *err, size_t errlen)
{
	if (argc < 1) {
		snprintf(err, errlen, "no command");
		return NULL;
	}
	const struct pb_cmd *c = pb_cmd_find(argv[0]);
	if (!c) {
		snprintf(err, errlen, "unknown command '%s' (try 'help')", argv[0]);
		return NULL;
	}
	json_t *args = json_object();
	if (c->build(argc - 1, argv + 1, args, err, errlen) < 0) {
		json_decref(args);
		return NULL;
	}
	return json_pack("{s:i, s:i, s:s, s:o}", "v", PB_CTL_PROTOCOL, "id", id, "cmd", c->name,
			 "args", args);
}

int pb_cmd_split(const char *line, char ***words, char *err, size_t errlen)
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
					pb_cmd_free_words(w);
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
	pb_cmd_free_words(w);
	return -1;
}

void pb_cmd_free_words(char **words)
{
	for (size_t i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
}

void pb_default_run_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (geteuid() == 0)
		snprintf(out, len, "/run/patchbay");
	else if (xdg && *xdg)
		snprintf(out, len, "%s/patchbay", xdg);
	else
		snprintf(out, len, "/tmp/patchbay-%u", (unsigned)geteuid());
}
