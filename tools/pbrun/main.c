/* SPDX-License-Identifier: MIT */
/*
 * pbrun - run an app as a container wired to patchbay ports.
 *
 *   pbrun --port vhost --port vhost -- l2fwd virtio:{port0} virtio:{port1}
 *
 * See pbrun.h for the steps, pbrun --help for the options.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pbrun.h"

#define EXIT_PBRUN 125 /* pbrun failed, as podman and docker say it */

static int print_only(struct pbrun *r)
{
	if (!r->name[0])
		pbrun_pick_name(r);
	if (pbrun_plan_ports(r) < 0 || pbrun_prepare_app(r) < 0 || pbrun_print(r) < 0)
		return EXIT_PBRUN;
	return 0;
}

extern char **environ;

/* The bytes of our argv and environment strings, which the kernel keeps
 * in one block: what /proc/PID/cmdline and environ show. */
static void note_title(struct pbrun *r, int argc, char **argv)
{
	char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;

	for (char **e = environ; e && *e; e++)
		if (*e >= argv[0] && *e + strlen(*e) + 1 > end)
			end = *e + strlen(*e) + 1;
	r->title = argv[0];
	r->title_len = (size_t)(end - argv[0]);
}

int main(int argc, char **argv)
{
	struct pbrun r;
	int out[2], err[2], status;
	sigset_t sigs;
	pid_t pid;

	switch (pbrun_parse(&r, argc, argv)) {
	case 0:
		break;
	case 1:
		return 0;
	case -2:
		return EXIT_PBRUN;
	default:
		return 2;
	}
	if (r.print)
		return print_only(&r);
	note_title(&r, argc, argv);

	/* Signals wait in a signalfd from here on: a Ctrl-C during set-up
	 * still ends in the teardown below. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGQUIT);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	pbrun_reap_stale(r.run_dir);
	if (pbrun_claim(&r) < 0)
		return EXIT_PBRUN;
	status = EXIT_PBRUN;
	if (pbrun_plan_ports(&r) < 0 || pbrun_make_ports(&r) < 0)
		goto out;
	if (pbrun_prepare_app(&r) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		goto out;
	pid = r.engine == PBRUN_BUILTIN ? pbrun_sandbox_start(&r, out[1], err[1])
					: pbrun_engine_start(&r, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		goto out;
	}
	status = pbrun_relay(&r, pid, out[0], err[0]);
	if (r.engine != PBRUN_BUILTIN && status >= 128)
		pbrun_engine_cleanup(&r);
out:
	pbrun_drop_ports(&r);
	pbrun_cgroup_remove(r.name);
	pbrun_release(&r);
	return status;
}
