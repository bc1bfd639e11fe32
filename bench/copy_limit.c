/* SPDX-License-Identifier: MIT */
/*
 * copy_limit.c - the physical limit of a one-copy shared-memory path on this
 * machine: what any virtio implementation (ours, DPDK's) could reach at best.
 *
 * Two processes on two CPUs share one memfd holding a single-producer
 * single-consumer ring of fixed-size slots (2 KiB buffers, plus an array of
 * 32-bit lengths that plays the part of a descriptor ring):
 *
 *   producer (--tx-cpu)  copies a prebuilt frame from its private memory into
 *                        the next free slot (one memcpy of SIZE bytes), stores
 *                        the sequence number into the copy, and publishes a
 *                        whole burst with one release store of its index;
 *   consumer (--rx-cpu)  sees the index with one acquire load, reads the
 *                        length and the sequence number of every slot (so each
 *                        frame's cache lines travel to its CPU, as in a real
 *                        receiver), counts sequence errors, and frees the
 *                        burst with one release store of its own index.
 *
 * There is no descriptor table, no virtio-net header, no address translation
 * and no notification: the difference between this and a virtio path is the
 * price of the virtio protocol. The consumer reports the rate over the steady
 * part of the run (after --warmup) as one JSON line on stdout, shaped like
 * pbgen's summary ("mpps").
 *
 * --c2c measures something else, in a few milliseconds: the round trip of one
 * cache line between the two CPUs (each side writes a line the other one
 * spins on). It is the unit of every cross-CPU figure in the benchmark, and
 * on a virtual machine it changes with where the hypervisor runs the two
 * vCPUs (two threads of one core share their caches; two cores share only
 * L3), so bench/run.sh records it beside every round as a witness.
 *
 * --stream makes the producer's copy with non-temporal stores of whole lines
 * (as a port with copy=stream does), and --stride the distance between two
 * slots (2048, or 2112 as a port's buffers lie: off multiples of 1 KiB, so
 * that consecutive frames do not fall in the same few cache sets);
 * bench/run.sh runs the loop every way and takes the fastest, so that the
 * limit is the best the bare loop can do.
 *
 * usage: copy_limit [-s SIZE] [-d SECS] [-b BURST] [--slots N] [--stream] [--stride N]
 *                   [--tx-cpu N] [--rx-cpu N] [--warmup SECS]
 *        copy_limit --c2c [--tx-cpu N] [--rx-cpu N]
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "util/stream_copy.h"

#define CL_CACHE_LINE 64
#define CL_SLOT_SIZE  2048u /* one frame buffer, cache-line aligned (--stride) */
#define CL_MAX_STRIDE 4096u
#define CL_MAX_FRAME  CL_SLOT_SIZE
#define CL_SEQ_OFF    22u /* where pbgen keeps its sequence number (14 + 8) */
#define CL_MAX_BURST  256u
#define CL_C2C_BATCH  100u /* round trips timed together */
#define CL_C2C_N      500u /* batches; the median one is reported */

/*
 * The shared header. Each index sits alone on its cache line so that the
 * producer's and the consumer's stores never share a line.
 */
struct cl_shared {
	_Alignas(CL_CACHE_LINE) _Atomic uint32_t prod; /* slots published */
	_Alignas(CL_CACHE_LINE) _Atomic uint32_t cons; /* slots freed */
	_Alignas(CL_CACHE_LINE) _Atomic uint32_t stop; /* set by the consumer */
};

struct cl_opts {
	unsigned size, burst, slots;
	double secs, warmup;
	int tx_cpu, rx_cpu;
	bool c2c;
	bool stream;	 /* producer copies with streaming stores */
	unsigned stride; /* slot stride: 2048, or 2112 as a port's buffers */
};

/* The shared ring: lengths, then the buffers. */
struct cl_ring {
	uint32_t *len;
	uint8_t *buf;
	unsigned mask;
	unsigned stride; /* bytes from one slot to the next */
};

static uint8_t *slot(const struct cl_ring *r, uint32_t idx)
{
	return r->buf + (size_t)(idx & r->mask) * r->stride;
}

/* The producer: runs until the consumer sets stop. */
static void produce(struct cl_shared *sh, const struct cl_ring *ring, const struct cl_opts *o)
{
	uint8_t frame[CL_MAX_FRAME];
	uint32_t prod = 0, cons = 0;
	uint64_t seq = 0;

	/* A frame that looks like pbgen's: Ethernet header, then bytes. */
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);

	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		unsigned room = o->slots - (prod - cons), n;

		if (room < o->burst) {
			/* Pairs with the consumer's release store of cons: the
			 * slots it freed are no longer read. */
			cons = atomic_load_explicit(&sh->cons, memory_order_acquire);
			room = o->slots - (prod - cons);
			if (!room)
				continue;
		}
		n = room < o->burst ? room : o->burst;
		for (unsigned i = 0; i < n; i++) {
			uint8_t *s = slot(ring, prod + i);

			if (o->stream) {
				/* Whole lines with non-temporal stores, as a port's
				 * copy=stream does: the sequence number goes into
				 * the private frame first, so each line is written
				 * once. */
				memcpy(frame + CL_SEQ_OFF, &seq, sizeof(seq));
				pb_stream_copy(s, frame, o->size, CL_SLOT_SIZE);
			} else {
				memcpy(s, frame, o->size);
				memcpy(s + CL_SEQ_OFF, &seq, sizeof(seq));
			}
			ring->len[(prod + i) & ring->mask] = o->size;
			seq++;
		}
		prod += n;
		if (o->stream)
			pb_stream_fence(); /* the streamed lines before the index */
		/* Pairs with the consumer's acquire load of prod: the slot
		 * contents written above are visible before the index. */
		atomic_store_explicit(&sh->prod, prod, memory_order_release);
	}
}

struct cl_result {
	uint64_t frames, errors;
	double secs;
};

/* The consumer: counts frames for warmup + secs, then stops the producer. */
static void consume(struct cl_shared *sh, const struct cl_ring *ring, const struct cl_opts *o,
		    struct cl_result *res)
{
	uint64_t expect = 0, frames = 0, errors = 0;
	uint64_t t_first = 0, t_mark = 0, n_mark = 0, t_end = 0, now = 0;
	uint64_t t_start = bench_now_ns();
	uint32_t cons = 0;
	unsigned polls = 0;

	for (;;) {
		/* Pairs with the producer's release store of prod. */
		uint32_t prod = atomic_load_explicit(&sh->prod, memory_order_acquire);
		unsigned n = prod - cons;

		if (n > o->burst)
			n = o->burst;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *s = slot(ring, cons + i);
			uint32_t len = ring->len[(cons + i) & ring->mask];
			uint64_t seq;

			memcpy(&seq, s + CL_SEQ_OFF, sizeof(seq));
			errors += (seq != expect) | (len != o->size);
			expect = seq + 1;
		}
		if (n) {
			cons += n;
			frames += n;
			/* Pairs with the producer's acquire load of cons: our
			 * reads of the freed slots are done. */
			atomic_store_explicit(&sh->cons, cons, memory_order_release);
		}
		/* Read the clock once in 64 polls, and whenever there was no work. */
		if (n && (++polls & 63))
			continue;
		now = bench_now_ns();
		if (!t_first) {
			if (!frames) {
				if (now - t_start > 5000000000ull)
					break; /* the producer never started */
				continue;
			}
			t_first = now;
			t_end = t_first + (uint64_t)((o->warmup + o->secs) * 1e9);
		}
		if (!t_mark && now - t_first >= (uint64_t)(o->warmup * 1e9)) {
			t_mark = now;
			n_mark = frames;
		}
		if (now >= t_end)
			break;
	}
	atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
	if (!t_mark)
		return; /* no frames: res stays zero */
	res->frames = frames - n_mark;
	res->secs = (double)(now - t_mark) / 1e9;
	res->errors = errors;
}

/* --c2c, the CPU that answers: copies every ping (prod) back as a pong (cons). */
static void c2c_answer(struct cl_shared *sh)
{
	uint32_t want = 1;

	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		/* Pairs with the release store in c2c_measure(). */
		if (atomic_load_explicit(&sh->prod, memory_order_acquire) != want)
			continue;
		atomic_store_explicit(&sh->cons, want, memory_order_release);
		want++;
	}
}

/*
 * --c2c, the CPU that asks: CL_C2C_N batches of CL_C2C_BATCH round trips;
 * returns the median batch's ns per round trip, 0 if the other side never
 * answered within 5 s.
 */
static double c2c_measure(struct cl_shared *sh)
{
	static uint64_t batch[CL_C2C_N];
	uint64_t deadline = bench_now_ns() + 5000000000ull;
	uint32_t ping = 0;

	for (unsigned b = 0; b < CL_C2C_N; b++) {
		uint64_t t0 = bench_now_ns();

		for (unsigned k = 0; k < CL_C2C_BATCH; k++) {
			unsigned spins = 0;

			ping++;
			/* Pairs with the acquire load in c2c_answer(). */
			atomic_store_explicit(&sh->prod, ping, memory_order_release);
			while (atomic_load_explicit(&sh->cons, memory_order_acquire) != ping) {
				if (!(++spins & 0xfffff) && bench_now_ns() > deadline) {
					atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
					return 0;
				}
			}
		}
		batch[b] = bench_now_ns() - t0;
	}
	atomic_store_explicit(&sh->stop, 1, memory_order_relaxed);
	qsort(batch, CL_C2C_N, sizeof(batch[0]), bench_cmp_u64);
	return (double)batch[CL_C2C_N / 2] / CL_C2C_BATCH;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: copy_limit [-s SIZE] [-d SECS] [-b BURST] [--slots N]\n"
		   "                  [--tx-cpu N] [--rx-cpu N] [--warmup SECS]\n"
		   "  -s SIZE        frame bytes copied per slot, 30..2048 (64)\n"
		   "  -d SECS        measured seconds, after the warm-up (5)\n"
		   "  -b BURST       slots per index update, 1..256 (32)\n"
		   "  --slots N      ring size, a power of two 2..32768 (256)\n"
		   "  --tx-cpu N     producer CPU (1); -1 = not pinned\n"
		   "  --rx-cpu N     consumer CPU (0); -1 = not pinned\n"
		   "  --warmup SECS  unmeasured start (0.5)\n"
		   "  --c2c          measure the cache-line round trip between the CPUs instead\n"
		   "Prints one JSON line: frames, duration_s, mpps, gbps, errors\n"
		   "(--c2c: round_trip_ns).\n");
}

static int parse(int argc, char **argv, struct cl_opts *o)
{
	const struct bench_opt opts[] = {
	    {"size", 's', BENCH_UINT, &o->size},
	    {"duration", 'd', BENCH_DOUBLE, &o->secs},
	    {"burst", 'b', BENCH_UINT, &o->burst},
	    {"slots", 0, BENCH_UINT, &o->slots},
	    {"tx-cpu", 0, BENCH_INT, &o->tx_cpu},
	    {"rx-cpu", 0, BENCH_INT, &o->rx_cpu},
	    {"warmup", 0, BENCH_DOUBLE, &o->warmup},
	    {"c2c", 0, BENCH_FLAG, &o->c2c},
	    {"stream", 0, BENCH_FLAG, &o->stream},
	    {"stride", 0, BENCH_UINT, &o->stride},
	    {NULL, 0, BENCH_END, NULL},
	};
	int rc;

	*o = (struct cl_opts){.size = 64,
			      .burst = 32,
			      .slots = 256,
			      .secs = 5,
			      .warmup = 0.5,
			      .tx_cpu = 1,
			      .rx_cpu = 0,
			      .stride = CL_SLOT_SIZE};
	rc = bench_getopt(argc, argv, opts);
	if (rc > 0) {
		usage(stdout);
		exit(0);
	}
	if (rc < 0 || optind != argc || o->size < CL_SEQ_OFF + 8 || o->size > CL_MAX_FRAME ||
	    !o->burst || o->stride < CL_SLOT_SIZE || o->stride > CL_MAX_STRIDE ||
	    o->stride % CL_CACHE_LINE || o->burst > CL_MAX_BURST || o->slots < 2 ||
	    o->slots > 32768 || (o->slots & (o->slots - 1)) || o->burst > o->slots ||
	    !(o->secs > 0) || !(o->warmup >= 0)) {
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cl_opts o;
	struct cl_result res = {0};
	size_t hdr = sizeof(struct cl_shared), lens, len;
	struct cl_ring ring;
	struct cl_shared *sh;
	uint8_t *mem;
	pid_t child;
	int fd, status;

	if (parse(argc, argv, &o))
		return 2;
	hdr = (hdr + 4095) & ~(size_t)4095;
	lens = ((size_t)o.slots * sizeof(uint32_t) + 4095) & ~(size_t)4095;
	len = hdr + lens + (size_t)o.slots * o.stride;
	fd = memfd_create("pb-copy-limit", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)len)) {
		perror("copy_limit: memfd");
		return 1;
	}
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		perror("copy_limit: mmap");
		return 1;
	}
	close(fd);
	sh = (struct cl_shared *)mem;
	ring = (struct cl_ring){.len = (uint32_t *)(mem + hdr),
				.buf = mem + hdr + lens,
				.mask = o.slots - 1,
				.stride = o.stride};

	child = fork();
	if (child < 0) {
		perror("copy_limit: fork");
		return 1;
	}
	if (child == 0) {
		if (bench_pin("copy_limit", o.tx_cpu))
			_exit(1);
		if (o.c2c)
			c2c_answer(sh);
		else
			produce(sh, &ring, &o);
		_exit(0);
	}
	if (bench_pin("copy_limit", o.rx_cpu)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		return 1;
	}
	if (o.c2c) {
		double ns = c2c_measure(sh);

		waitpid(child, NULL, 0);
		printf("{\"mode\":\"c2c\",\"round_trip_ns\":%.1f}\n", ns);
		return ns > 0 ? 0 : 1;
	}
	consume(sh, &ring, &o, &res);
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "copy_limit: producer failed\n");
		return 1;
	}
	printf("{\"mode\":\"copy_limit\",\"size\":%u,\"burst\":%u,\"slots\":%u,"
	       "\"frames\":%llu,\"errors\":%llu,\"duration_s\":%.6f,\"mpps\":%.3f,"
	       "\"gbps\":%.3f}\n",
	       o.size, o.burst, o.slots, (unsigned long long)res.frames,
	       (unsigned long long)res.errors, res.secs,
	       res.secs > 0 ? (double)res.frames / res.secs / 1e6 : 0.0,
	       res.secs > 0 ? (double)res.frames * o.size * 8 / res.secs / 1e9 : 0.0);
	return res.errors || !res.frames ? 1 : 0;
}
