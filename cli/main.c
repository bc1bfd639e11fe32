/* SPDX-License-Identifier: MIT */
/*
 * main.c - `patchbay`, the panel's command line: a client of patchbayd's
 * control socket. With a command it runs that one and exits (0 done, 1 the
 * daemon said no or cannot be reached, 2 a usage error); with none, an
 * interactive shell.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdtab.h"
#include "common/client.h"
#include "shell.h"
#include "show.h"

static void usage(FILE *f)
{
	char dir[256];

	pbctl_default_run_dir(dir, sizeof(dir));
	fprintf(f, "usage: patchbay [--socket PATH | --run-dir DIR] [--json] [COMMAND [ARGS...]]\n"
		   "\n"
		   "Drive the patchbayd patch panel. Without a command: an interactive shell.\n"
		   "\n"
		   "commands:\n");
	for (const struct pbctl_cmd *c = pbctl_cmds; c->name; c++)
		fprintf(f, "  %-8s %-34s %s\n", c->name, c->usage, c->help);
	fprintf(f, "  (`patchbay types` lists the port types and their options)\n");
	fprintf(f,
		"\n"
		"options:\n"
		"  -s, --socket PATH   the control socket (default %s/%s,\n"
		"                      or $PATCHBAY_SOCKET)\n"
		"  -r, --run-dir DIR   the daemon's run directory (its socket is DIR/%s)\n"
		"  -j, --json          read commands print the daemon's JSON result\n"
		"  -h, --help          this text\n"
		"\n"
		"examples:\n"
		"  patchbay add vhost:1\n"
		"  patchbay add tap:a netns=red addr=10.0.0.1/24\n"
		"  patchbay patch vhost:1 vhost:2 --both\n"
		"  patchbay stats -w\n",
		dir, PBCTL_SOCKET_NAME, PBCTL_SOCKET_NAME);
}

/* For the bash completion (cli/patchbay.bash): each command with what its
 * arguments complete to, from the table. */
static void list_commands(void)
{
	static const char *const kinds[] = {"none", "ports", "types"};

	for (const struct pbctl_cmd *k = pbctl_cmds; k->name; k++)
		printf("%s %s\n", k->name, kinds[k->complete]);
}

int main(int argc, char **argv)
{
	static const struct option longs[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"run-dir", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {"list-commands", no_argument, NULL, 'L'}, /* for cli/patchbay.bash */
	    {NULL, 0, NULL, 0},
	};
	struct pbc_view view = {0};
	json_t *req = NULL;
	char path[512] = "";
	int c;

	if (getenv("PATCHBAY_SOCKET"))
		snprintf(path, sizeof(path), "%s", getenv("PATCHBAY_SOCKET"));
	/* '+': stop at the command, whose own flags are its business. */
	while ((c = getopt_long(argc, argv, "+s:r:jh", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'r':
			snprintf(path, sizeof(path), "%s/%s", optarg, PBCTL_SOCKET_NAME);
			break;
		case 'j':
			view.json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'L':
			list_commands();
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path[0]) {
		char dir[256];
		pbctl_default_run_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s", dir, PBCTL_SOCKET_NAME);
	}
	int n = argc - optind;
	char **args = argv + optind;
	if (n > 0) {
		if (!strcmp(args[0], "help")) {
			usage(stdout);
			return 0;
		}
		/* Usage errors before touching the daemon. */
		char err[512];
		n = pbc_take_view_flags(n, args, &view);
		if (n < 0)
			return 2;
		req = pbctl_request(n, args, 0, err, sizeof(err));
		if (!req) {
			fprintf(stderr, "patchbay: %s\n", err);
			return 2;
		}
	}
	struct pbctl_client cl;
	if (pbctl_connect(&cl, path) < 0) {
		json_decref(req);
		return 1;
	}
	int rc = req ? pbc_run_request(&cl, req, n, args, &view) : pbc_shell(&cl);
	pbctl_close(&cl);
	return rc;
}
