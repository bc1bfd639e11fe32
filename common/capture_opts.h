/* SPDX-License-Identifier: MIT */
/*
 * capture_opts.h - the options of `patchbay capture` (dir=, count=,
 * snaplen=, ring=, buffer=), parsed from the words a user types and from
 * the JSON arguments of the protocol's `capture` command, and checked in
 * one place: the CLI refuses a bad option before it asks the daemon, and the
 * daemon refuses the same things from any other client (REST, a recipe).
 *
 * The protocol's form (docs/CONTROL.md): "dir": "rx"|"tx"|"both",
 * "count": N, "snaplen": N, "ring": {"size": N, "files": N}, "buffer": N.
 */
#ifndef PBCTL_CAPTURE_OPTS_H
#define PBCTL_CAPTURE_OPTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct pbctl_cmd;

enum pbctl_cap_dir {
	PBCTL_CAP_RX = 1,   /* what the port receives from its peer */
	PBCTL_CAP_TX = 2,   /* what it sends to its peer (the tx op took) */
	PBCTL_CAP_BOTH = 3, /* the default */
};

#define PBCTL_CAP_SNAPLEN_MAX	 262144u /* and the default, as tcpdump's */
#define PBCTL_CAP_RING_SIZE_MIN	 4096ull
#define PBCTL_CAP_RING_SIZE_MAX	 (1ull << 40)
#define PBCTL_CAP_RING_FILES_MIN 2u
#define PBCTL_CAP_RING_FILES_MAX 1000u
#define PBCTL_CAP_BUFFER_MIN	 (64ull << 10)
#define PBCTL_CAP_BUFFER_MAX	 (1ull << 30)
#define PBCTL_CAP_BUFFER_DEFAULT (8ull << 20)
#define PBCTL_CAP_COUNT_MAX	 (1ull << 62)

struct pbctl_capture_opts {
	unsigned dir;	     /* enum pbctl_cap_dir */
	uint64_t count;	     /* frames to write, 0: until stopped */
	uint32_t snaplen;    /* bytes kept of each frame, 1..PBCTL_CAP_SNAPLEN_MAX */
	uint64_t ring_size;  /* 0: one file; else rotate at this many bytes... */
	uint32_t ring_files; /* ...over FILE.0 .. FILE.<ring_files - 1> */
	uint64_t buffer;     /* bytes of the in-memory ring to the writer */
};

void pbctl_capture_opts_init(struct pbctl_capture_opts *o);

/* One word "KEY=VALUE" of the command line. 0, or -1 with @err naming the
 * key and what it takes. Sizes take a k, m or g suffix (powers of 1024). */
int pbctl_capture_word(struct pbctl_capture_opts *o, const char *word, char *err, size_t errlen);

/* The options as the protocol's fields, set on @args (the defaults are
 * left out). */
void pbctl_capture_opts_to_json(const struct pbctl_capture_opts *o, json_t *args);

/* The protocol's fields of @args (others are not looked at), checked. 0, or
 * -1 with @err naming the field. */
int pbctl_capture_opts_from_json(struct pbctl_capture_opts *o, json_t *args, char *err,
				 size_t errlen);

/* The row's builder (cmdtab.h): capture PORT FILE|- [KEY=VALUE...]
 * [--background], capture show, capture stop [ID|PORT]. */
int pbctl_build_capture(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
			size_t errlen);

#endif /* PBCTL_CAPTURE_OPTS_H */
