/* SPDX-License-Identifier: MIT */
/*
 * result.c - what the plugin prints: results and error objects, in the
 * cniVersion the runtime's configuration names (a runtime on spec 1.0.0 or
 * 0.4.0 must get an answer it can parse), and version arithmetic.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

static const char *const known_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL};

bool cni_version_known(const char *v)
{
	for (unsigned i = 0; v && known_versions[i]; i++)
		if (!strcmp(known_versions[i], v))
			return true;
	return false;
}

/* Compare dotted versions numerically: "0.4.0" < "1.0.0" < "1.1.0". */
int cni_version_cmp(const char *a, const char *b)
{
	for (int i = 0; i < 3; i++) {
		char *ea, *eb;
		long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
	}
	return 0;
}

int cni_fail(struct cni_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->details[0] = 0; /* a detail of an earlier, recovered failure is not this one's */
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void cni_print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		free(s);
	}
	fflush(stdout);
}

void cni_print_error(const char *version, const struct cni_err *e)
{
	json_t *o = json_pack("{s:s, s:i, s:s}", "cniVersion",
			      cni_version_known(version) ? version : CNI_SPEC_VERSION, "code",
			      e->code, "msg", e->msg);

	if (e->details[0])
		json_object_set_new(o, "details", json_string(e->details));
	cni_print_json(o);
	json_decref(o);
	/* The runtime shows stdout; a human running it by hand reads this. */
	fprintf(stderr, "patchbay-cni: %s%s%s\n", e->msg, e->details[0] ? ": " : "", e->details);
}
