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
#ifndef PBCTL_CMDTAB_H
#define PBCTL_CMDTAB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define PBCTL_PROTOCOL	  1
#define PBCTL_MAX_LINE	  (64 * 1024) /* a longer request is refused */
#define PBCTL_SOCKET_NAME "control.sock"

/* Which words a command's arguments complete to in the shell. */
enum pbctl_complete {
	PBCTL_COMPLETE_NONE,
	PBCTL_COMPLETE_PORTS, /* existing port names */
	PBCTL_COMPLETE_TYPES, /* "vhost:", "tap:", ... (from the daemon's `types`) */
};

/*
 * The commands, one row each: everything about a command that more than
 * one program needs. The columns:
 *   ID        PBCTL_CMD_<ID>, the index every table below is keyed by
 *   name      the word typed and the protocol's "cmd"; patchbayd's handler
 *             is pbd_cmd_<name> (daemon/api/commands.h)
 *   usage     its arguments, for help, man page and usage errors
 *   help      one line
 *   read      1: changes nothing (--json shows the raw result)
 *   complete  what its arguments complete to (PBCTL_COMPLETE_<...>)
 *   build     pbctl_build_<build>: command line -> args (cmdtab.c)
 *   show      the CLI's renderer pbc_show_<show> (cli/show.h); "none"
 *             prints nothing on success
 * A row without its handler, builder or renderer does not link: the tables
 * are expansions of this one, so they cannot disagree.
 */
#define PBCTL_COMMANDS(X)                                                                          \
	X(ADD, add, "TYPE:ID [KEY=VALUE...]", "add a port (`patchbay types` lists the types)", 0,  \
	  TYPES, add, none)                                                                        \
	X(DEL, del, "PORT [--force]", "delete a port (--force: unpatch it first)", 0, PORTS, del,  \
	  none)                                                                                    \
	X(PATCH, patch, "FROM TO [--both]",                                                        \
	  "send FROM's received frames to TO (--both: and back)", 0, PORTS, patch, none)           \
	X(UNPATCH, unpatch, "FROM [TO] [--both]",                                                  \
	  "remove the patch FROM -> TO (every one from FROM)", 0, PORTS, unpatch, none)            \
	X(RESET, reset, "", "remove every patch (ports stay)", 0, NONE, no_args, none)             \
	X(STATUS, status, "", "ports, their links and the patches", 1, NONE, no_args, status)      \
	X(SHOW, show, "PORT", "one port in full: options, link, counters", 1, PORTS, show, port)   \
	X(STATS, stats, "[PORT] [-w|--watch [--count N]]",                                         \
	  "port counters and drops (-w: live rates each second, N times)", 1, PORTS, stats, stats) \
	X(CLEAR, clear, "[PORT]", "zero the counters (of one port)", 0, PORTS, clear, none)        \
	X(WORKERS, workers, "", "worker threads: ports, busy/poll/sleep share, wake-ups", 1, NONE, \
	  no_args, workers)                                                                        \
	X(TOPO, topo, "[--dot | --svg FILE | --png FILE]",                                         \
	  "the port graph: text, Graphviz DOT, or drawn", 1, NONE, topo, none)                     \
	X(TYPES, types, "", "the port types this daemon serves, with their options", 1, NONE,      \
	  no_args, types)                                                                          \
	X(SAVE, save, "[FILE]", "the running panel as a recipe for patchbayd --config", 1, NONE,   \
	  save, save)                                                                              \
	X(CAPTURE, capture,                                                                        \
	  "PORT FILE|- [dir=rx|tx|both] [count=N] [snaplen=N] [ring=SIZE,FILES] [--background] "   \
	  "| show | stop [ID|PORT]",                                                               \
	  "write a port's frames to pcapng (- : stdout) until Ctrl-C, count or stop", 0, PORTS,    \
	  capture, capture)                                                                        \
	X(BRIDGE, bridge,                                                                          \
	  "add NAME [aging=S] [max-macs=N] [flood=on|off] | del NAME [--force] | attach NAME "     \
	  "PORT "                                                                                  \
	  "[vlan=N | trunk=N,M..|all] [max-macs=N] | detach [NAME] PORT | show [NAME]",            \
	  "learning bridges: make one, attach ports to it (by VLAN), list them", 0, PORTS, bridge, \
	  bridge)                                                                                  \
	X(FDB, fdb, "show [BRIDGE] | add BRIDGE MAC PORT [vlan=N] | del BRIDGE MAC [vlan=N]",      \
	  "a bridge's forwarding table: learned MACs, and static ones", 0, PORTS, fdb, fdb)        \
	X(MIRROR, mirror,                                                                          \
	  "add NAME src=PORT[,PORT..] dst=PORT [dir=rx|tx|both] [vlan=N] | del NAME | show",       \
	  "copy ports' traffic to a monitor port (never slowing it)", 0, PORTS, mirror, mirror)    \
	X(VERSION, version, "", "the daemon's version and protocol", 1, NONE, no_args, version)

enum pbctl_cmd_id {
#define PBCTL_CMD_ENUM(ID, ...) PBCTL_CMD_##ID,
	PBCTL_COMMANDS(PBCTL_CMD_ENUM)
#undef PBCTL_CMD_ENUM
	    PBCTL_CMD_COUNT
};

struct pbctl_cmd;

/* Fill @args from the words after the command name; on a usage error write
 * what is wrong (with the command's usage) into @err and return -1. */
typedef int (*pbctl_build_fn)(const struct pbctl_cmd *c, int argc, char **argv, json_t *args,
			      char *err, size_t errlen);

struct pbctl_cmd {
	enum pbctl_cmd_id id;
	const char *name;
	const char *usage; /* the arguments, for help */
	const char *help;  /* one line */
	bool read;	   /* changes nothing; --json shows the raw result */
	enum pbctl_complete complete;
	pbctl_build_fn build;
};

/* Indexed by enum pbctl_cmd_id; ends with a NULL name at PBCTL_CMD_COUNT. */
extern const struct pbctl_cmd pbctl_cmds[PBCTL_CMD_COUNT + 1];

const struct pbctl_cmd *pbctl_cmd_find(const char *name);

/* A request for the command line @argv (argv[0] the command), or NULL with
 * the reason in @err. @id goes into the request. */
json_t *pbctl_request(int argc, char **argv, int id, char *err, size_t errlen);

/* A request for command @id with @args (taken: the reference is stolen,
 * NULL for none): {"v":PBCTL_PROTOCOL,"cmd":NAME,"args":ARGS}. Every client
 * (the CLI, pbrun, patchbay-cni, the REST routes) builds requests here, so
 * each says which protocol it speaks. */
json_t *pbctl_request_args(enum pbctl_cmd_id id, json_t *args);

/* Split @line into words as a shell would for simple cases: blanks
 * separate, '...' and "..." quote, '#' starts a comment. Returns the count
 * (0 for an empty line) and a NULL-terminated array to free with
 * pbctl_free_words(), or -1 with @err set (an unterminated quote). */
int pbctl_split(const char *line, char ***words, char *err, size_t errlen);
void pbctl_free_words(char **words);

/* The default run directory: $XDG_RUNTIME_DIR/patchbay, /run/patchbay as
 * root (or when XDG_RUNTIME_DIR is not set and we are root), else
 * /tmp/patchbay-UID. */
void pbctl_default_run_dir(char *out, size_t len);

#endif /* PBCTL_CMDTAB_H */
