/* SPDX-License-Identifier: MIT */
/*
 * shell.c - `patchbay` with no command: an interactive shell on libedit.
 * History (kept in ~/.patchbay_history), completion of command names from
 * the command table and of port names from the live daemon, and `help`
 * printed from the same table. Every line is a command as on the command
 * line, display flags (--json, -w, --dot ...) included.
 */
#include <editline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdtab.h"
#include "shell.h"
#include "show.h"

static struct pbc_client *shell_client;
static char **port_names; /* refreshed at each completion of a port */

static void help(const char *which)
{
	for (const struct pb_cmd *c = pb_cmds; c->name; c++) {
		if (which && strcmp(which, c->name))
			continue;
		printf("  %-8s %-34s %s\n", c->name, c->usage, c->help);
	}
	if (which && !pb_cmd_find(which)) {
		printf("no command '%s'\n", which);
		return;
	}
	if (!which)
		printf("  %-8s %-34s %s\n  %-8s %-34s %s\n", "help", "[COMMAND]", "this text",
		       "quit", "", "leave the shell (or Ctrl-D)");
}

static void refresh_ports(void)
{
	char *argv[] = {"status", NULL};
	char err[128];

	for (size_t i = 0; port_names && port_names[i]; i++)
		free(port_names[i]);
	free(port_names);
	port_names = NULL;
	json_t *req = pb_cmd_request(1, argv, 0, err, sizeof(err));
	json_t *rep = req ? pbc_call(shell_client, req) : NULL;
	json_decref(req);
	json_t *ports = json_object_get(json_object_get(rep, "result"), "ports"), *p;
	size_t i;
	port_names = calloc(json_array_size(ports) + 1, sizeof(*port_names));
	json_array_foreach(ports, i, p) if (port_names) port_names[i] =
	    strdup(json_string_value(json_object_get(p, "name")));
	json_decref(rep);
}

static char *next_command(const char *text, int state)
{
	static const struct pb_cmd *c;
	static int extra;
	static const char *const extras[] = {"help", "quit", NULL};

	if (!state) {
		c = pb_cmds;
		extra = 0;
	}
	for (; c->name; c++)
		if (!strncmp(c->name, text, strlen(text)))
			return strdup((c++)->name);
	for (; extras[extra]; extra++)
		if (!strncmp(extras[extra], text, strlen(text)))
			return strdup(extras[extra++]);
	return NULL;
}

static char *next_port(const char *text, int state)
{
	static size_t i;

	if (!state)
		i = 0;
	for (; port_names && port_names[i]; i++)
		if (!strncmp(port_names[i], text, strlen(text)))
			return strdup(port_names[i++]);
	return NULL;
}

static char *next_type(const char *text, int state)
{
	static const char *const types[] = {"vhost:", "virtio:", "tap:", "pcap:", "null:", NULL};
	static int i;

	if (!state)
		i = 0;
	for (; types[i]; i++)
		if (!strncmp(types[i], text, strlen(text)))
			return strdup(types[i++]);
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_completion_append_character = ' ';
	/* The first word is a command; later words complete by its table entry. */
	char first[32] = "";
	if (sscanf(rl_line_buffer, "%31s", first) != 1 || start == 0 ||
	    (size_t)start <= strspn(rl_line_buffer, " \t"))
		return rl_completion_matches(text, next_command);
	const struct pb_cmd *c = pb_cmd_find(first);
	if (!c || !strcmp(first, "help"))
		return rl_completion_matches(text, next_command);
	if (c->complete == PB_COMPLETE_PORTS) {
		refresh_ports();
		return rl_completion_matches(text, next_port);
	}
	if (c->complete == PB_COMPLETE_TYPES) {
		rl_completion_append_character = '\0'; /* the ID follows the colon */
		return rl_completion_matches(text, next_type);
	}
	return NULL;
}

int pbc_shell(struct pbc_client *c)
{
	char hist[512];
	const char *home = getenv("HOME");
	char *line;

	shell_client = c;
	snprintf(hist, sizeof(hist), "%s/.patchbay_history", home ? home : ".");
	using_history();
	read_history(hist);
	rl_attempted_completion_function = complete;
	printf("patchbay shell: `help` lists the commands, Tab completes, Ctrl-D leaves\n");
	while ((line = readline("patchbay> ")) != NULL) {
		char **words, err[256];
		int n = pb_cmd_split(line, &words, err, sizeof(err));
		if (n < 0)
			printf("patchbay: %s\n", err);
		if (n > 0) {
			add_history(line);
			if (!strcmp(words[0], "quit") || !strcmp(words[0], "exit")) {
				pb_cmd_free_words(words);
				free(line);
				break;
			}
			if (!strcmp(words[0], "help")) {
				help(n > 1 ? words[1] : NULL);
			} else {
				struct pbc_view view = {0};
				int m = pbc_take_view_flags(n, words, &view);
				if (m > 0 && pbc_run(c, m, words, &view) == 1 && c->fd < 0)
					break;
			}
		}
		if (n >= 0)
			pb_cmd_free_words(words);
		free(line);
	}
	write_history(hist);
	return 0;
}
