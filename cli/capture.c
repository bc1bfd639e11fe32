/* SPDX-License-Identifier: MIT */
/*
 * capture.c - `patchbay capture PORT FILE|-`: in the foreground, as
 * tcpdump -w is. The daemon opens FILE (the builder made it absolute) or,
 * for "-", is handed our stdout with the request (SCM_RIGHTS), so that
 * `patchbay capture vhost:1 - | tshark -r -` works. The capture is tied to
 * this connection: Ctrl-C asks the daemon to stop it and prints what was
 * written; if we die instead, our connection closes and the daemon stops it
 * all the same. Until then we look at its figures five times a second, to
 * leave when it ends by itself (count=, a failed write, a `capture stop`
 * from elsewhere). Everything we say goes to stderr: stdout may be the file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cmdtab.h"
#include "show.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

void pbc_capture_summary(FILE *f, json_t *cap)
{
	fprintf(f, "capture %lld of %s: %lld frames (%lld bytes) written to %s, %lld dropped%s%s\n",
		num(cap, "id"), str(cap, "port"), num(cap, "frames"), num(cap, "bytes"),
		strcmp(str(cap, "file"), "-") ? str(cap, "file") : "stdout", num(cap, "dropped"),
		json_object_get(cap, "error") ? ": " : "", str(cap, "error"));
}

/* The daemon's answer to @args (taken) as a command's result, or NULL. */
static json_t *ask(struct pbctl_client *c, json_t *args)
{
	json_t *req = pbctl_request_args(PBCTL_CMD_CAPTURE, args);
	json_t *rep = pbctl_call(c, req); /* does not take req */
	json_t *res = NULL;

	json_decref(req);

	if (rep && !pbctl_report(rep))
		res = json_incref(json_object_get(rep, "result"));
	json_decref(rep);
	return res;
}

/* Capture @id as listed now; NULL if it is not (stopped elsewhere). */
static json_t *look(struct pbctl_client *c, long long id, bool *gone)
{
	json_t *res = ask(c, json_pack("{s:s}", "op", "show")), *cap, *found = NULL;
	size_t i;

	*gone = res == NULL;
	json_array_foreach(json_object_get(res, "captures"), i, cap)
	{
		if (num(cap, "id") == id)
			found = json_incref(cap);
	}
	json_decref(res);
	return found;
}

static int wait_for_end(struct pbctl_client *c, long long id)
{
	json_t *last = NULL;
	bool gone = false, listed = true;

	while (!stop) {
		struct timespec ts = {0, 200000000};
		nanosleep(&ts, NULL); /* a signal ends it early */
		if (stop)
			break;
		json_t *cap = look(c, id, &gone);
		if (gone || !cap) {
			listed = false;
			break;
		}
		json_decref(last);
		last = cap;
		if (strcmp(str(cap, "state"), "running"))
			break; /* ended by itself: stop takes it off the list */
	}
	if (gone) {
		json_decref(last);
		return 1;
	}
	json_t *res =
	    listed ? ask(c, json_pack("{s:s, s:I}", "op", "stop", "id", (json_int_t)id)) : NULL;
	json_t *fin = json_array_get(json_object_get(res, "stopped"), 0);
	int rc = 0;
	if (fin) {
		pbc_capture_summary(stderr, fin);
		rc = !strcmp(str(fin, "state"), "failed");
	} else if (last) {
		fprintf(stderr, "patchbay: capture %lld was stopped elsewhere\n", id);
		pbc_capture_summary(stderr, last);
	}
	json_decref(res);
	json_decref(last);
	return rc;
}

int pbc_capture(struct pbctl_client *c, json_t *req)
{
	json_t *args = json_object_get(req, "args");
	bool to_stdout = !strcmp(str(args, "file"), "-");
	struct sigaction sa;

	if (to_stdout && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "patchbay: capture: stdout is a terminal: pipe it (| tshark -r -) "
				"or give a file\n");
		json_decref(req);
		return 2;
	}
	/* Set before the capture starts, so no Ctrl-C is missed; no
	 * SA_RESTART, so a signal cuts the wait short. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	json_t *rep = pbctl_call_fd(c, req, to_stdout ? STDOUT_FILENO : -1);
	json_decref(req);
	if (!rep)
		return 1;
	if (pbctl_report(rep)) {
		json_decref(rep);
		return 1;
	}
	json_t *cap = json_object_get(rep, "result");
	long long id = num(cap, "id");
	fprintf(stderr, "patchbay: capturing %s (%s) to %s as capture %lld; Ctrl-C stops\n",
		str(cap, "port"), str(cap, "dir"), to_stdout ? "stdout" : str(cap, "file"), id);
	json_decref(rep);
	return wait_for_end(c, id);
}
