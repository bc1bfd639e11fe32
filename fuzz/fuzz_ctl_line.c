/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ctl_line.c - libFuzzer harness for the command-line side of the
 * control protocol: a line as typed at the shell or written in a --config
 * recipe, split into words (pbctl_split) and built into a request
 * (pbctl_request). Checked:
 *  - no memory error, UB or leak;
 *  - split fails only with a message, and returns NULL-terminated words
 *    with no blank word;
 *  - a built request is an object naming a command of the table, with
 *    "v" 1 and an "args" object, and it survives a JSON round trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdtab.h"
#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), err[512], **words;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	err[0] = 0;
	int n = pbctl_split(line, &words, err, sizeof(err));
	free(line);
	if (n < 0) {
		CHECK(err[0] != 0);
		return 0;
	}
	for (int i = 0; i < n; i++)
		CHECK(words[i] != NULL);
	CHECK(words[n] == NULL);
	if (n > 0) {
		err[0] = 0;
		json_t *req = pbctl_request(n, words, 1, err, sizeof(err));
		if (!req) {
			CHECK(err[0] != 0);
		} else {
			const char *cmd = json_string_value(json_object_get(req, "cmd"));
			CHECK(cmd && pbctl_cmd_find(cmd) != NULL);
			CHECK(json_integer_value(json_object_get(req, "v")) == PBCTL_PROTOCOL);
			CHECK(json_is_object(json_object_get(req, "args")));
			char *text = json_dumps(req, JSON_COMPACT);
			CHECK(text != NULL);
			json_t *back = json_loads(text, 0, NULL);
			CHECK(back && json_equal(back, req));
			json_decref(back);
			free(text);
			json_decref(req);
		}
	}
	pbctl_free_words(words);
	return 0;
}
