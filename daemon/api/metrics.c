/* SPDX-License-Identifier: MIT */
/*
 * metrics.c - the panel in Prometheus' text exposition format 0.0.4, for
 * GET /metrics. The metric list and its meaning are in docs/REST.md.
 *
 * Counters are the raw ones since the port (or the daemon) started, not
 * what `clear` resets: a Prometheus counter only goes down when its source
 * restarts, and rate() reads a reset as one. Labels are the port's name and
 * type, a drop's reason and a worker's number: bounded by the ports an
 * operator made, never by traffic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cmdtab.h"
#include "api/http.h"
#include "core/bridge.h"
#include "core/capture.h"
#include "core/mirror.h"

/*
 * A port's figures, one slot per counter of both lists (the library's
 * PB_PORT_STATS_FIELDS, the daemon's PBD_PORT_CTR_FIELDS) and a few the
 * families below derive; read once so every family sees the same snapshot.
 */
enum {
#define SLOT(field, doc) S_##field,
	PB_PORT_STATS_FIELDS(SLOT) PBD_PORT_CTR_FIELDS(SLOT)
#undef SLOT
	    S_COUNTERS, /* the slots above are counters as they are */
	S_PEER_BROKEN = S_COUNTERS,
	S_UP,
	S_SLOTS,
};

struct port_sample {
	const struct pbd_port *p;
	uint64_t v[S_SLOTS];
};

/*
 * The families an operator reads, with the names docs/REST.md promises.
 * Families with a `reason` label are listed together, one line each. A
 * counter no family here shows is still exported, under its own name (see
 * other_counters()), so one added to either list is never missed.
 */
static const struct {
	const char *name, *type, *help, *reason;
	unsigned field;
} port_families[] = {
    {"patchbay_port_up", "gauge", "1 while the port's peer is connected and its queues run", NULL,
     S_UP},
    {"patchbay_port_rx_frames_total", "counter", "Frames received on the port", NULL, S_rx_frames},
    {"patchbay_port_rx_bytes_total", "counter", "Bytes of the frames received on the port", NULL,
     S_rx_bytes},
    {"patchbay_port_tx_frames_total", "counter", "Frames sent on the port", NULL, S_tx_frames},
    {"patchbay_port_tx_bytes_total", "counter", "Bytes of the frames sent on the port", NULL,
     S_tx_bytes},
    {"patchbay_port_drops_total", "counter", "Frames dropped at the port, by reason", "no_patch",
     S_drop_no_patch},
    {"patchbay_port_drops_total", NULL, NULL, "dest_down", S_drop_dest_down},
    {"patchbay_port_drops_total", NULL, NULL, "no_buffer", S_drop_no_buffer},
    {"patchbay_port_drops_total", NULL, NULL, "peer_broken", S_PEER_BROKEN},
    {"patchbay_port_drops_total", NULL, NULL, "too_big", S_tx_dropped},
    {"patchbay_port_tx_ring_full_events_total", "counter",
     "Sends that found the peer's ring full (backpressure, not drops)", NULL, S_tx_full},
    {"patchbay_port_connects_total", "counter", "Times the port came up", NULL, S_connects},
    {"patchbay_port_disconnects_total", "counter", "Times the port went down", NULL, S_disconnects},
    {"patchbay_port_peer_errors_total", "counter",
     "Protocol violations by the peer (each breaks the link)", NULL, S_peer_errors},
    {"patchbay_port_faults_total", "counter",
     "Memory faults the peer caused (its shared memory vanished)", NULL, S_faults},
};

/* The counters as the lists name and describe them, for the catch-all. */
static const struct {
	const char *field, *doc;
} counters[S_COUNTERS] = {
#define ROW(field, doc) {#field, doc},
    PB_PORT_STATS_FIELDS(ROW) PBD_PORT_CTR_FIELDS(ROW)
#undef ROW
};

/* Counters that a derived slot already shows (in peer_broken). */
static bool derived_from(unsigned slot)
{
	return slot == S_rx_dropped || slot == S_drop_broken;
}

static void sample_port(const struct pbd_port *p, struct port_sample *s)
{
	struct pb_port_stats st;
	struct pbd_port_ctr c;

	pbd_port_read_raw(p, &st, &c);
	memset(s, 0, sizeof(*s));
	s->p = p;
#define TAKE(field, doc) s->v[S_##field] = st.field;
	PB_PORT_STATS_FIELDS(TAKE)
#undef TAKE
#define TAKE(field, doc) s->v[S_##field] = c.field;
	PBD_PORT_CTR_FIELDS(TAKE)
#undef TAKE
	s->v[S_PEER_BROKEN] = c.drop_broken + st.rx_dropped; /* as `stats` counts them */
	s->v[S_UP] = pbd_port_is_up(p);
}

/* A label value as the format wants it: \, " and newline escaped. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s.\n# TYPE %s %s\n", name, help, name, type);
}

static void port_lines(FILE *f, const char *name, const char *reason, unsigned slot,
		       const struct port_sample *samples, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s{port=\"", name);
		label_value(f, samples[i].p->name);
		fprintf(f, "\",type=\"%s\"", samples[i].p->type->name);
		if (reason)
			fprintf(f, ",reason=\"%s\"", reason);
		fprintf(f, "} %llu\n", (unsigned long long)samples[i].v[slot]);
	}
}

/* patchbay_port_FIELD_total for each counter no family above shows. */
static void other_counters(FILE *f, const struct port_sample *samples, unsigned n)
{
	bool shown[S_SLOTS] = {false};
	char name[96];

	for (size_t k = 0; k < sizeof(port_families) / sizeof(port_families[0]); k++)
		shown[port_families[k].field] = true;
	for (unsigned c = 0; c < S_COUNTERS; c++) {
		if (shown[c] || derived_from(c))
			continue;
		snprintf(name, sizeof(name), "patchbay_port_%s_total", counters[c].field);
		fprintf(f, "# HELP %s Port counter: %s.\n# TYPE %s counter\n", name,
			counters[c].doc, name);
		port_lines(f, name, NULL, c, samples, n);
	}
}

static void ports(FILE *f, struct pbd_panel *pn)
{
	static struct port_sample samples[PBD_MAX_PORTS];
	unsigned n = 0, patches = 0;

	for (unsigned i = 0; i < PBD_MAX_PORTS; i++) {
		const struct pbd_port *p = pn->port[i];
		if (!p)
			continue;
		sample_port(p, &samples[n++]);
		patches += p->out ? p->out->n : 0;
	}
	family(f, "patchbay_ports", "gauge", "Ports on the panel");
	fprintf(f, "patchbay_ports %u\n", n);
	family(f, "patchbay_patches", "gauge", "Patches on the panel (each direction counts)");
	fprintf(f, "patchbay_patches %u\n", patches);
	for (size_t k = 0; k < sizeof(port_families) / sizeof(port_families[0]); k++) {
		if (port_families[k].help)
			family(f, port_families[k].name, port_families[k].type,
			       port_families[k].help);
		port_lines(f, port_families[k].name, port_families[k].reason,
			   port_families[k].field, samples, n);
	}
	other_counters(f, samples, n);
}

static void workers(FILE *f, struct pbd_panel *pn)
{
	static const char *const states[] = {"busy", "poll", "sleep"};

	family(f, "patchbay_worker_seconds_total", "counter",
	       "Time a worker spent moving frames (busy), polling idle queues (poll) and "
	       "asleep (sleep)");
	for (unsigned i = 0; i < pn->nworkers; i++) {
		const struct pbd_worker *w = &pn->workers[i];
		uint64_t ns[3] = {PBD_PEEK(w->busy_ns), PBD_PEEK(w->poll_ns),
				  PBD_PEEK(w->sleep_ns)};
		for (unsigned s = 0; s < 3; s++)
			fprintf(f,
				"patchbay_worker_seconds_total{worker=\"%u\",state=\"%s\"} %.9f\n",
				i, states[s], (double)ns[s] / 1e9);
	}
	family(f, "patchbay_worker_wakeups_total", "counter", "Times a worker woke from sleep");
	for (unsigned i = 0; i < pn->nworkers; i++)
		fprintf(f, "patchbay_worker_wakeups_total{worker=\"%u\"} %llu\n", i,
			(unsigned long long)PBD_PEEK(pn->workers[i].wakeups));
	family(f, "patchbay_worker_frames_total", "counter",
	       "Frames received on the ports a worker runs");
	for (unsigned i = 0; i < pn->nworkers; i++)
		fprintf(f, "patchbay_worker_frames_total{worker=\"%u\"} %llu\n", i,
			(unsigned long long)PBD_PEEK(pn->workers[i].frames));
}

/*
 * Captures in progress (and ended ones not yet reaped), labelled by the
 * capture's id, port and direction: bounded by the 64 captures the panel
 * allows. Read from the same view as `capture show`.
 */
static void captures(FILE *f, struct pbd_panel *pn)
{
	static const struct {
		const char *name, *type, *help, *key;
	} fams[] = {
	    {"patchbay_capture_running", "gauge", "1 while the capture writes", NULL},
	    {"patchbay_capture_frames_total", "counter", "Frames the capture wrote", "frames"},
	    {"patchbay_capture_bytes_total", "counter",
	     "Bytes the capture wrote to its files (pcapng blocks)", "bytes"},
	    {"patchbay_capture_dropped_total", "counter",
	     "Frames the capture could not keep (its buffer or its file was full)", "dropped"},
	};
	json_t *list = pbd_capture_list(pn);
	size_t i;
	json_t *c;

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		family(f, fams[k].name, fams[k].type, fams[k].help);
		json_array_foreach(list, i, c)
		{
			const char *state = json_string_value(json_object_get(c, "state"));
			long long v = fams[k].key
					  ? json_integer_value(json_object_get(c, fams[k].key))
					  : state && !strcmp(state, "running");
			fprintf(f, "%s{id=\"%lld\",port=\"", fams[k].name,
				(long long)json_integer_value(json_object_get(c, "id")));
			label_value(f, json_string_value(json_object_get(c, "port")));
			fprintf(f, "\",dir=\"%s\"} %lld\n",
				json_string_value(json_object_get(c, "dir")), v);
		}
	}
	json_decref(list);
}

/* Per bridge (labels: its name; the drops also their reason): its table's
 * size, its ports, and its counters (PBD_BRIDGE_CTR_FIELDS: the drop_*
 * ones as patchbay_bridge_dropped_total by reason, the rest each a
 * family). Bounded by the bridges an operator made. */
static void bridges(FILE *f, struct pbd_panel *pn)
{
	enum { MAXB = 256 };
	const struct pbd_bridge *b[MAXB];
	struct pbd_bridge_ctr c[MAXB];
	unsigned n = 0;

	for (const struct pbd_bridge *x = pn->bridges; x && n < MAXB; x = x->next) {
		b[n] = x;
		pbd_bridge_read_ctr(x, &c[n++]);
	}
	if (!n)
		return;
#define LINE_START(i)                                                                              \
	do {                                                                                       \
		fprintf(f, "{bridge=\"");                                                          \
		label_value(f, b[i]->name);                                                        \
		fputc('"', f);                                                                     \
	} while (0)
	family(f, "patchbay_bridge_fdb_entries", "gauge",
	       "Entries in a bridge's forwarding table, learned (live) and static");
	for (unsigned i = 0; i < n; i++) {
		fputs("patchbay_bridge_fdb_entries", f);
		LINE_START(i);
		fprintf(f, ",kind=\"learned\"} %u\n", pbd_bridge_fdb_live(b[i]));
		fputs("patchbay_bridge_fdb_entries", f);
		LINE_START(i);
		fprintf(f, ",kind=\"static\"} %u\n", b[i]->statics ? b[i]->statics->n : 0);
	}
	family(f, "patchbay_bridge_fdb_max_entries", "gauge",
	       "The bound of a bridge's table of learned MACs (max-macs)");
	for (unsigned i = 0; i < n; i++) {
		fputs("patchbay_bridge_fdb_max_entries", f);
		LINE_START(i);
		fprintf(f, "} %u\n", b[i]->max_macs);
	}
	family(f, "patchbay_bridge_ports", "gauge", "Ports attached to a bridge");
	for (unsigned i = 0; i < n; i++) {
		unsigned m = 0;
		for (unsigned j = 0; j < b[i]->members->n; j++)
			m += b[i]->members->m[j] != NULL;
		fputs("patchbay_bridge_ports", f);
		LINE_START(i);
		fprintf(f, "} %u\n", m);
	}
#define COUNTER(field, doc)                                                                        \
	if (strncmp(#field, "drop_", 5)) {                                                         \
		family(f, "patchbay_bridge_" #field "_total", "counter", "A bridge's " doc);       \
		for (unsigned i = 0; i < n; i++) {                                                 \
			fputs("patchbay_bridge_" #field "_total", f);                              \
			LINE_START(i);                                                             \
			fprintf(f, "} %llu\n", (unsigned long long)c[i].field);                    \
		}                                                                                  \
	}
	PBD_BRIDGE_CTR_FIELDS(COUNTER)
#undef COUNTER
	family(f, "patchbay_bridge_dropped_total", "counter",
	       "Frames a bridge dropped, by reason (its ports' own drops are on the ports)");
	for (unsigned i = 0; i < n; i++) {
#define DROP(field, doc)                                                                           \
	if (!strncmp(#field, "drop_", 5)) {                                                        \
		fputs("patchbay_bridge_dropped_total", f);                                         \
		LINE_START(i);                                                                     \
		fprintf(f, ",reason=\"%s\"} %llu\n", &#field[5], (unsigned long long)c[i].field);  \
	}
		PBD_BRIDGE_CTR_FIELDS(DROP)
#undef DROP
	}
#undef LINE_START
}

/* Per mirror (label: its name): copies sent and dropped. */
static void mirrors(FILE *f, struct pbd_panel *pn)
{
	static const char *const fams[][2] = {
	    {"patchbay_mirror_frames_total", "Copies a mirror's destination took"},
	    {"patchbay_mirror_dropped_total",
	     "Copies a mirror dropped (its destination full or down); the mirrored traffic is "
	     "never held for them"},
	};

	if (!pn->mirrors)
		return;
	for (unsigned k = 0; k < 2; k++) {
		family(f, fams[k][0], "counter", fams[k][1]);
		for (const struct pbd_mirror *m = pn->mirrors; m; m = m->next) {
			fprintf(f, "%s{mirror=\"", fams[k][0]);
			label_value(f, m->name);
			fprintf(f, "\"} %llu\n",
				(unsigned long long)__atomic_load_n(k ? &m->dropped : &m->frames,
								    __ATOMIC_RELAXED));
		}
	}
}

char *pbd_metrics_text(struct pbd_panel *pn)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct timespec now;

	if (!f)
		return NULL;
	family(f, "patchbay_build_info", "gauge",
	       "Always 1; the labels say which patchbayd this is");
	fprintf(f, "patchbay_build_info{version=\"");
	label_value(f, pb_version());
	fprintf(f, "\",protocol=\"%d\"} 1\n", PBCTL_PROTOCOL);
	clock_gettime(CLOCK_REALTIME, &now);
	double up_s = (double)(pbd_now_ns() - pn->started_ns) / 1e9;
	double now_s = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	family(f, "patchbay_start_time_seconds", "gauge",
	       "When patchbayd started, in seconds since the Unix epoch");
	fprintf(f, "patchbay_start_time_seconds %.3f\n", now_s - up_s);
	family(f, "patchbay_workers", "gauge", "Forwarding threads");
	fprintf(f, "patchbay_workers %u\n", pn->nworkers);
	ports(f, pn);
	workers(f, pn);
	captures(f, pn);
	bridges(f, pn);
	mirrors(f, pn);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
