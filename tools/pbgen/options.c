/* SPDX-License-Identifier: MIT */
/*
 * options.c - pbgen's command line: parsing, validation and --help.
 *
 * Every bad value is reported with the option's name and the accepted range,
 * and ends the program with exit code 2 (a usage error), before any port is
 * opened.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "pbgen.h"

enum {
	OPT_IDLE_TIMEOUT = 256,
	OPT_BUSY_POLL,
	OPT_CPU,
	OPT_STREAM,
	OPT_NO_VERIFY,
	OPT_PERSIST,
};

static const struct option long_opts[] = {
    {"size", required_argument, NULL, 's'},
    {"rate", required_argument, NULL, 'r'},
    {"count", required_argument, NULL, 'n'},
    {"duration", required_argument, NULL, 'd'},
    {"burst", required_argument, NULL, 'b'},
    {"wait", required_argument, NULL, 'w'},
    {"quiet", no_argument, NULL, 'q'},
    {"json", required_argument, NULL, 'j'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"busy-poll", no_argument, NULL, OPT_BUSY_POLL},
    {"cpu", required_argument, NULL, OPT_CPU},
    {"stream", required_argument, NULL, OPT_STREAM},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
    {"persist", no_argument, NULL, OPT_PERSIST},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: pbgen [options] MODE SPEC\n"
	    "\n"
	    "A traffic generator, sink, echo and RTT probe over a patchbay port.\n"
	    "\n"
	    "MODE:\n"
	    "  tx     send frames (and count/verify any that come back)\n"
	    "  rx     receive frames, verify them, count lost/reordered/corrupted\n"
	    "  echo   send every received frame back unchanged\n"
	    "  ping   send one frame at a time to an echoing peer, report round trips\n"
	    "SPEC:\n"
	    "  a port spec, e.g. virtio:/tmp/a.sock (frontend, connects) or\n"
	    "  vhost:/tmp/a.sock (backend, listens); see <patchbay/port.h>\n"
	    "\n"
	    "options:\n"
	    "  -s, --size N           frame size in bytes, %u..%u (default 64)\n"
	    "  -r, --rate PPS         frames (ping: pings) per second, 0 = unlimited (default 0)\n"
	    "  -n, --count N          stop after N frames sent (tx, ping) or received (rx, echo);\n"
	    "                         rx counts only its own stream (see --stream), others\n"
	    "                         are reported as foreign; ping defaults to 10000\n"
	    "  -d, --duration SECS    stop after SECS seconds (fractions allowed)\n"
	    "  -b, --burst N          frames per burst call, 1..%u (default 32)\n"
	    "  -w, --wait SECS        wait this long for the peer to come up (default 10)\n"
	    "  -q, --quiet            no per-second lines\n"
	    "  -j, --json FILE        also write the JSON summary to FILE\n"
	    "  -v, --verbose          more library log messages (repeat for debug)\n"
	    "      --idle-timeout SECS  rx/echo: stop when nothing arrived for SECS after the\n"
	    "                         first frame (default 2 with -n, else never);\n"
	    "                         ping: how long to wait for each reply (default 1)\n"
	    "      --busy-poll        never sleep (default: sleep on the port fd when idle)\n"
	    "      --cpu N            pin to CPU N\n"
	    "      --stream ID        32-bit stream id to send (default 1); rx: only it is its\n"
	    "                         own, other streams are foreign (default: every stream)\n"
	    "      --no-verify        rx: read only the sequence number of each frame\n"
	    "      --persist          tx/rx/echo: go on with the next peer (default: stop when "
	    "the\n"
	    "                         peer leaves)\n"
	    "  -h, --help             this text\n"
	    "\n"
	    "Per-second lines go to stderr, one JSON summary line to stdout.\n"
	    "Exit status: 0 ok, 1 peer never came up / frames missing / corruption, 2 usage.\n",
	    PBGEN_MIN_FRAME, PBGEN_MAX_FRAME, PBGEN_MAX_BURST);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "pbgen: invalid %s '%s': %s\n", opt, val, why);
	return -1;
}

/* An unsigned integer in [min, max], the whole string (any base strtoull takes). */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		return bad(opt, s, "not a non-negative integer");
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return bad(opt, s, "not a non-negative integer");
	if (v < min || v > max) {
		char why[80];

		snprintf(why, sizeof(why), "must be %llu..%llu", (unsigned long long)min,
			 (unsigned long long)max);
		return bad(opt, s, why);
	}
	*out = v;
	return 0;
}

/* A finite number of seconds (or pps) >= 0. */
static int parse_nonneg(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || errno || *end || !isfinite(v) || v < 0)
		return bad(opt, s, "not a non-negative number");
	*out = v;
	return 0;
}

static int parse_mode(const char *s, enum pbgen_mode *m)
{
	static const struct {
		const char *name;
		enum pbgen_mode mode;
	} modes[] = {
	    {"tx", PBGEN_TX},
	    {"rx", PBGEN_RX},
	    {"echo", PBGEN_ECHO},
	    {"ping", PBGEN_PING},
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!strcmp(s, modes[i].name)) {
			*m = modes[i].mode;
			return 0;
		}
	}
	return bad("MODE", s, "must be tx, rx, echo or ping");
}

/* Parse one option into @o; -1 on a bad value, 1 for --help. */
static int parse_one(int c, const char *arg, struct pbgen_opts *o, bool *idle_set)
{
	uint64_t v;

	switch (c) {
	case 's':
		if (parse_u64("--size", arg, PBGEN_MIN_FRAME, PBGEN_MAX_FRAME, &v))
			return -1;
		o->size = (uint32_t)v;
		return 0;
	case 'r':
		return parse_nonneg("--rate", arg, &o->rate);
	case 'n':
		return parse_u64("--count", arg, 1, UINT64_MAX, &o->count);
	case 'd':
		return parse_nonneg("--duration", arg, &o->duration);
	case 'b':
		if (parse_u64("--burst", arg, 1, PBGEN_MAX_BURST, &v))
			return -1;
		o->burst = (unsigned)v;
		return 0;
	case 'w':
		return parse_nonneg("--wait", arg, &o->wait);
	case 'q':
		o->quiet = true;
		return 0;
	case 'j':
		o->json_path = arg;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'h':
		return 1;
	case OPT_IDLE_TIMEOUT:
		*idle_set = true;
		return parse_nonneg("--idle-timeout", arg, &o->idle_timeout);
	case OPT_BUSY_POLL:
		o->busy_poll = true;
		return 0;
	case OPT_CPU:
		if (parse_u64("--cpu", arg, 0, CPU_SETSIZE - 1, &v))
			return -1;
		o->cpu = (int)v;
		return 0;
	case OPT_STREAM:
		if (parse_u64("--stream", arg, 0, UINT32_MAX, &v))
			return -1;
		o->stream = (uint32_t)v;
		o->stream_set = true;
		return 0;
	case OPT_NO_VERIFY:
		o->verify = false;
		return 0;
	case OPT_PERSIST:
		o->persist = true;
		return 0;
	default:
		return -1; /* getopt_long already named the option */
	}
}

/*
 * Fill @o from the command line. Returns 0 to run, or an exit status:
 * 2 after a usage error (message printed), -1 after --help (exit 0).
 */
int pbgen_parse_options(int argc, char **argv, struct pbgen_opts *o)
{
	bool idle_set = false;
	int c;

	*o = (struct pbgen_opts){
	    .size = 64,
	    .burst = 32,
	    .wait = 10,
	    .cpu = -1,
	    .stream = 1,
	    .verify = true,
	};

	while ((c = getopt_long(argc, argv, "s:r:n:d:b:w:qj:vh", long_opts, NULL)) != -1) {
		int rc = parse_one(c, optarg, o, &idle_set);

		if (rc == 1) {
			usage(stdout);
			return -1;
		}
		if (rc) {
			fprintf(stderr, "Try 'pbgen --help'.\n");
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "pbgen: expected MODE and SPEC, got %d argument%s\n", argc - optind,
			argc - optind == 1 ? "" : "s");
		usage(stderr);
		return 2;
	}
	if (parse_mode(argv[optind], &o->mode)) {
		fprintf(stderr, "Try 'pbgen --help'.\n");
		return 2;
	}
	o->spec = argv[optind + 1];

	if (o->mode == PBGEN_PING && !o->count)
		o->count = 10000;
	if (!idle_set) {
		if (o->mode == PBGEN_PING)
			o->idle_timeout = 1;
		else if (o->count && (o->mode == PBGEN_RX || o->mode == PBGEN_ECHO))
			o->idle_timeout = 2;
	}
	if (o->persist && o->mode == PBGEN_PING) {
		fprintf(stderr, "pbgen: --persist is for tx, rx and echo\n");
		return 2;
	}
	if (o->mode == PBGEN_PING && o->idle_timeout <= 0) {
		fprintf(stderr, "pbgen: invalid --idle-timeout '0': ping needs a reply timeout\n");
		return 2;
	}
	return 0;
}
