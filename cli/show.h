/* SPDX-License-Identifier: MIT */
/*
 * show.h - how the CLI shows each command's result (for people; --json
 * prints the result as the daemon sent it). One renderer per command,
 * looked up by name; commands without one print nothing on success.
 */
#ifndef PBC_SHOW_H
#define PBC_SHOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/client.h"

/* Display flags the CLI takes off the command line before the request is
 * built: they change how a result is shown, not what is asked. */
struct pbc_view {
	bool json;
	bool watch;	  /* stats -w */
	int count;	  /* stats -w: refreshes (0: until interrupted) */
	bool dot;	  /* topo --dot */
	const char *svg;  /* topo --svg FILE */
	const char *png;  /* topo --png FILE */
	const char *file; /* save FILE */
};

/* Run the command @argv on @c and show its result. Returns an exit status. */
int pbc_run(struct pbctl_client *c, int argc, char **argv, struct pbc_view *view);

/* Run @req (taken), built from @argv, and show its result. */
int pbc_run_request(struct pbctl_client *c, json_t *req, int argc, char **argv,
		    struct pbc_view *view);

/* Remove the display flags from @argv (in place) into @view; returns the
 * new argc, or -1 (printed) for a display flag without its value. */
int pbc_take_view_flags(int argc, char **argv, struct pbc_view *view);

void pbc_show_status(json_t *r);
void pbc_show_port(json_t *r);
void pbc_show_stats(json_t *r);
void pbc_show_workers(json_t *r);
void pbc_show_version(json_t *r);
void pbc_show_types(json_t *r);
void pbc_show_save(json_t *r);
void pbc_show_capture(json_t *r);
void pbc_show_bridge(json_t *r); /* cli/bridge.c */
void pbc_show_fdb(json_t *r);
void pbc_show_mirror(json_t *r); /* cli/mirror.c */
/* capture PORT FILE|- in the foreground (cli/capture.c); @req taken. */
int pbc_capture(struct pbctl_client *c, json_t *req);
/* "capture N of PORT: F frames (B bytes) written to FILE, D dropped". */
void pbc_capture_summary(FILE *f, json_t *cap);
extern const struct pbc_view *pbc_show_view;
extern int pbc_show_status_code;
int pbc_stats_watch(struct pbctl_client *c, json_t *req, int count);
int pbc_topo(struct pbctl_client *c, const struct pbc_view *view);

/* "1.23M" style numbers. */
const char *pbc_human(double v, char *buf, size_t len);

#endif /* PBC_SHOW_H */
