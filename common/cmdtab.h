/* SPDX-License-Identifier: MIT */
/*
 * cmdtab.h - the commands of the patch panel, as data: name, arguments,
 * help, and how a command line becomes a control-protocol request. The
 * `patchbay` CLI (one-shot and shell: help and completion read this table)
 * and patchbayd's --config replay both use it, so a recipe file holds
 * exactly what one would type.
 *
 * The protocol itself is in docs/CONTROL.md: one JSON object per line,
 * {"v":1,"id":N,"cmd":NAME,"args":{...}} answered by
 * {"v":1,"id":N,"ok":true,"result":...} or
 * {"v":1,"id":N,"ok":false,"error":{"code":CODE,"message":TEXT}}.
 */
#ifndef PB_CMDTAB_H
#define PB_CMDTAB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PB_CTL_PROTOCOL	   1
#define PB_CTL_MAX_LINE	   (64 * 1024) /* a longer request is refused */
#define PB_CTL_SOCKET_NAME "control.sock"

/* Which words a command's arguments complete to in the shell. */
enum pb_cmd_complete {
	PB_COMPLETE_NONE,
	PB_COMPLETE_PORTS, /* existing port names */
	PB_COMPLETE_TYPES, /* "vhost:", "tap:", ... */
};

struct pb_cmd {
	const char *name;
	const char *usage; /* the arguments, for help */
	const char *help;  /* one line */
	bool read;	   /* changes nothing; --json shows the raw result */
	enum pb_cmd_complete complete;
	/* Fill @args from the words after the command name; on a usage error
	 * write what is wrong into @err and return -1. */
	int (*build)(int argc, char **argv, json_t *args, char *err, size_t errlen);
};

extern const struct pb_cmd pb_cmds[]; /* ends with a NULL name */

const struct pb_cmd *pb_cmd_find(const char *name);

/* A request for the command line @argv (argv[0] the command), or NULL with
 * the reason in @err. @id goes into the request. */
json_t *pb_cmd_request(int argc, char **argv, int id, char *err, size_t errlen);

/* Split @line into words as a shell would for simple cases: blanks
 * separate, '...' and "..." quote, '#' starts a comment. Returns the count
 * (0 for an empty line) and a NULL-terminated array to free with
 * pb_cmd_free_words(), or -1 with @err set (an unterminated quote). */
int pb_cmd_split(const char *line, char ***words, char *err, size_t errlen);
void pb_cmd_free_words(char **words);

/* The default run directory: $XDG_RUNTIME_DIR/patchbay, /run/patchbay as
 * root (or when XDG_RUNTIME_DIR is not set and we are root), else
 * /tmp/patchbay-UID. */
void pb_default_run_dir(char *out, size_t len);

#endif /* PB_CMDTAB_H */
