/* SPDX-License-Identifier: MIT */
/*
 * watch.c - `stats -w`: live rates, one table redrawn in place each second
 * (cursor home and clear on a terminal; on a pipe, one block per second).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "show.h"

static volatile sig_atomic_t stop;

static void on_int(int sig)
{
	(void)sig;
	stop = 1;
}

static double rate(json_t *now, json_t *before, const char *key, double secs)
{
	if (!before || secs <= 0)
		return 0;
	return (double)(json_integer_value(json_object_get(now, key)) -
			json_integer_value(json_object_get(before, key))) /
	       secs;
}

static long long drops(json_t *s)
{
	json_t *d = json_object_get(s, "drops");
	const char *key;
	json_t *v;
	long long n = 0;

	json_object_foreach(d, key, v) if (strcmp(key, "tx_ring_full_events")) n +=
	    json_integer_value(v);
	return n;
}

static json_t *find(json_t *ports, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(
	    ports, i, p) if (!strcmp(json_string_value(json_object_get(p, "name")), name)) return p;
	return NULL;
}

int pbc_stats_watch(struct pbctl_client *c, json_t *req, int count)
{
	json_t *prev = NULL;
	bool tty = isatty(STDOUT_FILENO);

	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	for (int round = 0; !stop && (count <= 0 || round <= count); round++) {
		json_t *rq = json_deep_copy(req);
		json_t *rep = pbctl_call(c, rq);
		json_decref(rq);
		if (!rep || pbctl_report(rep)) {
			json_decref(rep);
			json_decref(prev);
			json_decref(req);
			return 1;
		}
		json_t *r = json_object_get(rep, "result");
		double secs = prev
				  ? (double)(json_integer_value(json_object_get(r, "time_ns")) -
					     json_integer_value(json_object_get(prev, "time_ns"))) /
					1e9
				  : 0;
		if (prev) {
			json_t *p;
			size_t i;
			char a[16], b[16], cc[16], d[16], e[16];
			if (tty)
				printf("\033[H\033[2J");
			printf("patchbay stats, every 1 s (Ctrl-C to stop)\n");
			printf("%-20s %-5s %10s %10s %10s %10s %10s\n", "PORT", "LINK", "RX-PPS",
			       "TX-PPS", "RX-BIT/S", "TX-BIT/S", "DROPS/S");
			json_array_foreach(json_object_get(r, "ports"), i, p)
			{
				json_t *q = find(json_object_get(prev, "ports"),
						 json_string_value(json_object_get(p, "name")));
				double dr = q ? (double)(drops(p) - drops(q)) / secs : 0;
				printf("%-20s %-5s %10s %10s %10s %10s %10s\n",
				       json_string_value(json_object_get(p, "name")),
				       json_string_value(json_object_get(p, "link")),
				       pbc_human(rate(p, q, "rx_frames", secs), a, sizeof(a)),
				       pbc_human(rate(p, q, "tx_frames", secs), b, sizeof(b)),
				       pbc_human(8 * rate(p, q, "rx_bytes", secs), cc, sizeof(cc)),
				       pbc_human(8 * rate(p, q, "tx_bytes", secs), d, sizeof(d)),
				       pbc_human(dr, e, sizeof(e)));
			}
			fflush(stdout);
		}
		json_decref(prev);
		prev = json_incref(r);
		json_decref(rep);
		if (count <= 0 || round < count)
			sleep(1);
	}
	json_decref(prev);
	json_decref(req);
	return 0;
}
