/* SPDX-License-Identifier: MIT */
/*
 * config.c - --config replay: each line goes through the CLI's own command
 * table (common/cmdtab.c) into a request, and through the same executor as
 * a request from the socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdtab.h"
#include "api/commands.h"
#include "api/config.h"
#include "core/log.h"

int pbd_config_replay(struct pbd_panel *pn, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0, failed = 0;

	if (!f) {
		int e = errno;
		LOGE("config", "%s: %s", path, strerror(e));
		return -e;
	}
	while (getline(&line, &cap, f) >= 0) {
		char err[512], **words;
		lineno++;
		int n = pbctl_split(line, &words, err, sizeof(err));
		if (n <= 0) {
			if (n < 0) {
				LOGE("config", "%s:%u: %s", path, lineno, err);
				failed++;
			}
			if (n == 0)
				pbctl_free_words(words);
			continue;
		}
		json_t *req = pbctl_request(n, words, (int)lineno, err, sizeof(err));
		pbctl_free_words(words);
		if (!req) {
			LOGE("config", "%s:%u: %s", path, lineno, err);
			failed++;
			continue;
		}
		json_t *rep = pbd_execute(pn, req);
		if (!json_is_true(json_object_get(rep, "ok"))) {
			json_t *e = json_object_get(rep, "error");
			LOGE("config", "%s:%u: %s: %s", path, lineno,
			     json_string_value(json_object_get(e, "code")),
			     json_string_value(json_object_get(e, "message")));
			failed++;
		}
		json_decref(req);
		json_decref(rep);
	}
	free(line);
	fclose(f);
	LOGI("config", "%s: %u line(s), %u failed", path, lineno, failed);
	return 0;
}
