/* SPDX-License-Identifier: MIT */
/*
 * fuzz_capture_args.c - libFuzzer harness for the options of `capture`
 * (common/capture_opts.c), on both sides: the words a user types after
 * `capture` (the CLI's builder: dir=, count=, snaplen=, ring=SIZE,FILES,
 * buffer=, --background, show, stop [ID|PORT]) and the JSON arguments the
 * daemon checks for every other client. The input is a line; when it also
 * parses as a JSON object it is given to the daemon's check as it is.
 * Checked:
 *  - no memory error, UB or leak;
 *  - a failure always says why;
 *  - every start request the builder makes is accepted by the daemon's
 *    check (the two sides agree), with every option in its range, and
 *    turned back into JSON it gives the same options again;
 *  - whatever JSON the daemon's check accepts is in range too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/capture_opts.h"
#include "common/cmdtab.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(const struct pbctl_capture_opts *o)
{
	CHECK(o->dir >= PBCTL_CAP_RX && o->dir <= PBCTL_CAP_BOTH);
	CHECK(o->count <= PBCTL_CAP_COUNT_MAX);
	CHECK(o->snaplen >= 1 && o->snaplen <= PBCTL_CAP_SNAPLEN_MAX);
	CHECK(o->buffer >= PBCTL_CAP_BUFFER_MIN && o->buffer <= PBCTL_CAP_BUFFER_MAX);
	if (o->ring_files) {
		CHECK(o->ring_files >= PBCTL_CAP_RING_FILES_MIN &&
		      o->ring_files <= PBCTL_CAP_RING_FILES_MAX);
		CHECK(o->ring_size >= PBCTL_CAP_RING_SIZE_MIN &&
		      o->ring_size <= PBCTL_CAP_RING_SIZE_MAX);
	} else {
		CHECK(o->ring_size == 0);
	}
}

/* The daemon's side of whatever the builder made. */
static void check_request(json_t *req)
{
	json_t *args = json_object_get(req, "args");
	const char *op = json_string_value(json_object_get(args, "op"));
	struct pbctl_capture_opts o, again;
	char err[512] = "";

	CHECK(json_is_object(args));
	if (op) {
		CHECK(!strcmp(op, "show") || !strcmp(op, "stop"));
		return;
	}
	const char *file = json_string_value(json_object_get(args, "file"));
	CHECK(json_is_string(json_object_get(args, "port")));
	CHECK(file && (file[0] == '/' || !strcmp(file, "-")));
	CHECK(pbctl_capture_opts_from_json(&o, args, err, sizeof(err)) == 0);
	check_range(&o);
	json_t *back = json_object();
	pbctl_capture_opts_to_json(&o, back);
	CHECK(pbctl_capture_opts_from_json(&again, back, err, sizeof(err)) == 0);
	CHECK(!memcmp(&o, &again, sizeof(o)));
	json_decref(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + sizeof("capture ")), err[512], **words;
	struct pbctl_capture_opts o;

	if (!line)
		return 0;
	memcpy(line, "capture ", 8);
	memcpy(line + 8, data, size);
	line[8 + size] = 0;
	err[0] = 0;
	int n = pbctl_split(line, &words, err, sizeof(err));
	if (n > 0) {
		err[0] = 0;
		json_t *req = pbctl_request(n, words, 1, err, sizeof(err));
		if (req)
			check_request(req);
		else
			CHECK(err[0] != 0);
		json_decref(req);
		/* Each word alone, as an option. */
		pbctl_capture_opts_init(&o);
		for (int i = 1; i < n; i++) {
			err[0] = 0;
			if (pbctl_capture_word(&o, words[i], err, sizeof(err)) < 0)
				CHECK(err[0] != 0);
			check_range(&o); /* a refused word changes nothing */
		}
		pbctl_free_words(words);
	}
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (json_is_object(j)) {
		err[0] = 0;
		if (pbctl_capture_opts_from_json(&o, j, err, sizeof(err)) == 0)
			check_range(&o);
		else
			CHECK(err[0] != 0);
	}
	json_decref(j);
	free(line);
	return 0;
}
