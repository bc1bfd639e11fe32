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

static struct pbctl_client *shell_client;
static char **port_names; /* ports or "type:"s, refreshed at each completion */

static void help(const char *which)
{
	for (const struct pbctl_cmd *c = pbctl_cmds; c->name; c++) {
		if (which && strcmp(which, c->name))
			continue;
		printf("  %-8s %-34s %s\n", c->name, c->usage, c->help);
	}
	if (which && !pbctl_cmd_find(which)) {
		printf("no command '%s'\n", which);
		return;
	}
	if (!which)
		printf("  %-8s %-34s %s\n  %-8s %-34s %s\n", "help", "[COMMAND]", "this text",
		       "quit", "", "leave the shell (or Ctrl-D)");
}

/* The names the daemon lists under @cmd's result key @list (each object's
 * "name"), with @suffix appended: live, so completion never names a port
 * or a type itself. */
static char **daemon_names(enum pbctl_cmd_id cmd, const char *list, const char *suffix)
{
	json_t *req = pbctl_request_args(cmd, NULL);
	json_t *rep = pbctl_call(shell_client, req); /* does not take req */
	json_t *items = json_object_get(json_object_get(rep, "result"), list), *p;
	char **names = calloc(json_array_size(items) + 1, sizeof(*names));
	size_t i;

	json_array_foreach(items, i, p)
	{
		if (names && asprintf(&names[i], "%s%s",
				      json_string_value(json_object_get(p, "name")), suffix) < 0)
			names[i] = NULL;
	}
	json_decref(rep);
	json_decref(req);
	return names;
}

static void refresh_ports(bool types)
{
	for (size_t i = 0; port_names && port_names[i]; i++)
		free(port_names[i]);
	free(port_names);
	port_names = types ? daemon_names(PBCTL_CMD_TYPES, "types", ":")
			   : daemon_names(PBCTL_CMD_STATUS, "ports", "");
}

static char *next_command(const char *text, int state)
{
	static const struct pbctl_cmd *c;
	static int extra;
	static const char *const extras[] = {"help", "quit", NULL};

	if (!state) {
		c = pbctl_cmds;
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

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_completion_append_character = ' ';
	/* The first word is a command; later words complete by its table entry. */
	char first[32] = "";
	if (sscanf(rl_line_buffer, "%31s", first) != 1 || start == 0 ||
	    (size_t)start <= strspn(rl_line_buffer, " \t"))
		return rl_completion_matches(text, next_command);
	const struct pbctl_cmd *c = pbctl_cmd_find(first);
	if (!c || !strcmp(first, "help"))
		return rl_completion_matches(text, next_command);
	if (c->complete == PBCTL_COMPLETE_PORTS) {
		refresh_ports(false);
		return rl_completion_matches(text, next_port);
	}
	if (c->complete == PBCTL_COMPLETE_TYPES) {
		refresh_ports(true);
		rl_completion_append_character = '\0'; /* the ID follows the colon */
		return rl_completion_matches(text, next_port);
	}
	return NULL;
}

int pbc_shell(struct pbctl_client *c)
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
		int n = pbctl_split(line, &words, err, sizeof(err));
		if (n < 0)
			printf("patchbay: %s\n", err);
		if (n > 0) {
			add_history(line);
			if (!strcmp(words[0], "quit") || !strcmp(words[0], "exit")) {
				pbctl_free_words(words);
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
			pbctl_free_words(words);
		free(line);
	}
	write_history(hist);
	return 0;
}
