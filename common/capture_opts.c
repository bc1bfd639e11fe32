/* SPDX-License-Identifier: MIT */
/*
 * capture_opts.c - parsing and checking the options of `capture` (see
 * capture_opts.h). No I/O but getcwd(): a relative FILE is made absolute
 * here, against the directory of whoever typed it, because the daemon that
 * opens it runs elsewhere.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/capture_opts.h"
#include "common/cmdtab.h"

void pbctl_capture_opts_init(struct pbctl_capture_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->dir = PBCTL_CAP_BOTH;
	o->snaplen = PBCTL_CAP_SNAPLEN_MAX;
	o->buffer = PBCTL_CAP_BUFFER_DEFAULT;
}

/* A decimal number, all of @s up to @end; false on anything else. */
static bool parse_u64(const char *s, const char *end, uint64_t *out)
{
	uint64_t v = 0;

	if (s == end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* A size: digits, then an optional k/m/g (KiB, MiB, GiB). */
static bool parse_size(const char *s, const char *end, uint64_t *out)
{
	unsigned shift = 0;
	uint64_t v;

	if (end > s) {
		switch (end[-1]) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		}
	}
	if (shift)
		end--;
	if (!parse_u64(s, end, &v) || v > (UINT64_MAX >> shift))
		return false;
	*out = v << shift;
	return true;
}

static int range_err(char *err, size_t errlen, const char *key, const char *what)
{
	snprintf(err, errlen, "%s: expected %s", key, what);
	return -1;
}

static int check(const struct pbctl_capture_opts *o, char *err, size_t errlen)
{
	if (o->dir < PBCTL_CAP_RX || o->dir > PBCTL_CAP_BOTH)
		return range_err(err, errlen, "dir", "rx, tx or both");
	if (o->count > PBCTL_CAP_COUNT_MAX)
		return range_err(err, errlen, "count", "a number of frames, 1 or more");
	if (o->snaplen < 1 || o->snaplen > PBCTL_CAP_SNAPLEN_MAX)
		return range_err(err, errlen, "snaplen", "1..262144 bytes");
	if (o->ring_files &&
	    (o->ring_size < PBCTL_CAP_RING_SIZE_MIN || o->ring_size > PBCTL_CAP_RING_SIZE_MAX ||
	     o->ring_files < PBCTL_CAP_RING_FILES_MIN || o->ring_files > PBCTL_CAP_RING_FILES_MAX))
		return range_err(err, errlen, "ring",
				 "SIZE,FILES: SIZE 4k..1024g bytes (k, m, g: KiB, MiB, GiB), "
				 "FILES 2..1000");
	if (!o->ring_files && o->ring_size)
		return range_err(err, errlen, "ring", "SIZE,FILES");
	if (o->buffer < PBCTL_CAP_BUFFER_MIN || o->buffer > PBCTL_CAP_BUFFER_MAX)
		return range_err(err, errlen, "buffer", "64k..1g bytes");
	return 0;
}

int pbctl_capture_word(struct pbctl_capture_opts *o, const char *word, char *err, size_t errlen)
{
	const char *eq = strchr(word, '=');
	const char *v = eq ? eq + 1 : NULL, *end = v ? v + strlen(v) : NULL;
	struct pbctl_capture_opts n = *o;
	uint64_t x;

	if (!eq || eq == word) {
		snprintf(err, errlen,
			 "'%.64s': expected KEY=VALUE (dir, count, snaplen, ring, buffer)", word);
		return -1;
	}
	size_t klen = (size_t)(eq - word);
	if (klen == 3 && !strncmp(word, "dir", 3)) {
		if (!strcmp(v, "rx") || !strcmp(v, "in"))
			n.dir = PBCTL_CAP_RX;
		else if (!strcmp(v, "tx") || !strcmp(v, "out"))
			n.dir = PBCTL_CAP_TX;
		else if (!strcmp(v, "both"))
			n.dir = PBCTL_CAP_BOTH;
		else
			return range_err(err, errlen, "dir", "rx, tx or both");
	} else if (klen == 5 && !strncmp(word, "count", 5)) {
		if (!parse_u64(v, end, &x) || x < 1 || x > PBCTL_CAP_COUNT_MAX)
			return range_err(err, errlen, "count", "a number of frames, 1 or more");
		n.count = x;
	} else if (klen == 7 && !strncmp(word, "snaplen", 7)) {
		if (!parse_size(v, end, &x) || x < 1 || x > PBCTL_CAP_SNAPLEN_MAX)
			return range_err(err, errlen, "snaplen", "1..262144 bytes");
		n.snaplen = (uint32_t)x;
	} else if (klen == 4 && !strncmp(word, "ring", 4)) {
		const char *comma = strchr(v, ',');
		uint64_t files;
		if (!comma || !parse_size(v, comma, &x) || !parse_u64(comma + 1, end, &files) ||
		    files > UINT32_MAX)
			return range_err(err, errlen, "ring", "SIZE,FILES (ring=10m,4)");
		n.ring_size = x;
		n.ring_files = (uint32_t)files;
		if (!files)
			return range_err(err, errlen, "ring", "FILES 2..1000");
	} else if (klen == 6 && !strncmp(word, "buffer", 6)) {
		if (!parse_size(v, end, &x))
			return range_err(err, errlen, "buffer", "64k..1g bytes");
		n.buffer = x;
	} else {
		snprintf(err, errlen, "unknown option '%.*s' (dir, count, snaplen, ring, buffer)",
			 (int)(klen > 64 ? 64 : klen), word);
		return -1;
	}
	if (check(&n, err, errlen) < 0)
		return -1;
	*o = n;
	return 0;
}

void pbctl_capture_opts_to_json(const struct pbctl_capture_opts *o, json_t *args)
{
	static const char *const dirs[] = {"", "rx", "tx", "both"};
	struct pbctl_capture_opts d;

	pbctl_capture_opts_init(&d);
	if (o->dir != d.dir && o->dir <= PBCTL_CAP_BOTH)
		json_object_set_new(args, "dir", json_string(dirs[o->dir]));
	if (o->count)
		json_object_set_new(args, "count", json_integer((json_int_t)o->count));
	if (o->snaplen != d.snaplen)
		json_object_set_new(args, "snaplen", json_integer(o->snaplen));
	if (o->ring_files)
		json_object_set_new(args, "ring",
				    json_pack("{s:I, s:i}", "size", (json_int_t)o->ring_size,
					      "files", (int)o->ring_files));
	if (o->buffer != d.buffer)
		json_object_set_new(args, "buffer", json_integer((json_int_t)o->buffer));
}

/* args[key], an integer in [min, max], into *out (unchanged when absent). */
static int json_uint(json_t *obj, const char *key, uint64_t min, uint64_t max, uint64_t *out,
		     const char *what, char *err, size_t errlen)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) < min || (uint64_t)json_integer_value(v) > max)
		return range_err(err, errlen, key, what);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int pbctl_capture_opts_from_json(struct pbctl_capture_opts *o, json_t *args, char *err,
				 size_t errlen)
{
	json_t *dir = json_object_get(args, "dir"), *ring = json_object_get(args, "ring");
	uint64_t snap, size = 0, files = 0;

	pbctl_capture_opts_init(o);
	snap = o->snaplen;
	if (dir) {
		const char *s = json_string_value(dir);
		if (s && !strcmp(s, "rx"))
			o->dir = PBCTL_CAP_RX;
		else if (s && !strcmp(s, "tx"))
			o->dir = PBCTL_CAP_TX;
		else if (s && !strcmp(s, "both"))
			o->dir = PBCTL_CAP_BOTH;
		else
			return range_err(err, errlen, "dir", "\"rx\", \"tx\" or \"both\"");
	}
	if (json_uint(args, "count", 1, PBCTL_CAP_COUNT_MAX, &o->count,
		      "a number of frames, 1 or more", err, errlen) < 0 ||
	    json_uint(args, "snaplen", 1, PBCTL_CAP_SNAPLEN_MAX, &snap, "1..262144 bytes", err,
		      errlen) < 0 ||
	    json_uint(args, "buffer", PBCTL_CAP_BUFFER_MIN, PBCTL_CAP_BUFFER_MAX, &o->buffer,
		      "64k..1g bytes (65536..1073741824)", err, errlen) < 0)
		return -1;
	o->snaplen = (uint32_t)snap;
	if (ring) {
		const char *key;
		json_t *v;
		if (!json_is_object(ring) || !json_object_get(ring, "size") ||
		    !json_object_get(ring, "files"))
			return range_err(err, errlen, "ring",
					 "an object {\"size\": N, \"files\": N}");
		json_object_foreach(ring, key, v)
		{
			if (strcmp(key, "size") && strcmp(key, "files"))
				return range_err(err, errlen, "ring",
						 "only \"size\" and \"files\"");
		}
		if (json_uint(ring, "size", PBCTL_CAP_RING_SIZE_MIN, PBCTL_CAP_RING_SIZE_MAX, &size,
			      "ring size 4096..2^40 bytes", err, errlen) < 0 ||
		    json_uint(ring, "files", PBCTL_CAP_RING_FILES_MIN, PBCTL_CAP_RING_FILES_MAX,
			      &files, "ring files 2..1000", err, errlen) < 0)
			return -1;
		o->ring_size = size;
		o->ring_files = (uint32_t)files;
	}
	return check(o, err, errlen);
}

/* args[key] = @s, which JSON can hold only as UTF-8. */
static int set_text(json_t *args, const char *key, const char *s, char *err, size_t errlen)
{
	json_t *v = json_string(s);

	if (!v) {
		snprintf(err, errlen, "the %s is not UTF-8 text", key);
		return -1;
	}
	json_object_set_new(args, key, v);
	return 0;
}

static int usage(const struct pbctl_cmd *c, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s; usage: %s %s", why, c->name, c->usage);
	return -1;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* capture stop [ID|PORT] */
static int build_stop(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
		      size_t errlen)
{
	json_object_set_new(args, "op", json_string("stop"));
	if (argc > 1)
		return usage(c, err, errlen, "stop one capture (or all) at a time");
	if (argc == 1) {
		uint64_t id;
		if (all_digits(argv[0])) {
			if (!parse_u64(argv[0], argv[0] + strlen(argv[0]), &id) || !id ||
			    id > INT32_MAX)
				return usage(c, err, errlen, "bad capture id");
			json_object_set_new(args, "id", json_integer((json_int_t)id));
		} else if (set_text(args, "port", argv[0], err, errlen) < 0) {
			return -1;
		}
	}
	return 0;
}

/* FILE as the daemon must open it: absolute, against our directory. */
static int absolute(const char *file, char *out, size_t len, char *err, size_t errlen)
{
	char cwd[PATH_MAX];

	if (!*file) {
		snprintf(err, errlen, "an empty file name");
		return -1;
	}
	if (file[0] == '/' || !strcmp(file, "-")) {
		if ((size_t)snprintf(out, len, "%s", file) >= len)
			goto long_name;
		return 0;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		snprintf(err, errlen, "%s: cannot tell the current directory: %s", file,
			 strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(out, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", file) < len)
		return 0;
long_name:
	snprintf(err, errlen, "file name too long (%zu bytes at most)", len - 1);
	return -1;
}

int pbctl_build_capture(const struct pbctl_cmd *c, int argc, char **argv, json_t *args, char *err,
			size_t errlen)
{
	struct pbctl_capture_opts o;
	char path[PATH_MAX];
	bool background = false;
	int words = 0;

	if (argc >= 1 && !strcmp(argv[0], "show")) {
		json_object_set_new(args, "op", json_string("show"));
		for (int i = 1; i < argc; i++)
			if (strcmp(argv[i], "--json") && strcmp(argv[i], "-j"))
				return usage(c, err, errlen, "show takes nothing but --json");
		return 0;
	}
	if (argc >= 1 && !strcmp(argv[0], "stop"))
		return build_stop(c, argc - 1, argv + 1, args, err, errlen);
	pbctl_capture_opts_init(&o);
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--background") || !strcmp(a, "-b")) {
			background = true;
		} else if (a[0] == '-' && a[1]) {
			return usage(c, err, errlen, "unknown flag");
		} else if (words == 0) {
			if (set_text(args, "port", a, err, errlen) < 0)
				return -1;
			words++;
		} else if (words == 1) {
			if (absolute(a, path, sizeof(path), err, errlen) < 0 ||
			    set_text(args, "file", path, err, errlen) < 0)
				return -1;
			words++;
		} else if (pbctl_capture_word(&o, a, err, errlen) < 0) {
			return -1;
		}
	}
	if (words < 2)
		return usage(c, err, errlen,
			     words ? "missing the file (or - for stdout)" : "missing the port");
	if (background && !strcmp(json_string_value(json_object_get(args, "file")), "-"))
		return usage(c, err, errlen, "--background writes a file, not stdout");
	if (o.ring_files && !strcmp(json_string_value(json_object_get(args, "file")), "-"))
		return usage(c, err, errlen, "ring= rotates files, not stdout");
	pbctl_capture_opts_to_json(&o, args);
	if (!background)
		json_object_set_new(args, "attach", json_true());
	return 0;
}
