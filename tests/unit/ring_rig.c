/* SPDX-License-Identifier: MIT */
/*
 * ring_rig.c - the rig of ring_rig.h (the two ops tables are in
 * ring_ops_split.c and ring_ops_packed.c): every call a
 * scenario makes goes to pb_vq_* for a split ring or pb_pq_* for a packed
 * one, so a scenario checks both layouts with the same assertions.
 */
#include "ring_rig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

char rig_last_log[512];

__attribute__((format(printf, 2, 0))) static void log_hook(enum pb_log_level level, const char *fmt,
							   va_list ap)
{
	(void)level;
	vsnprintf(rig_last_log, sizeof(rig_last_log), fmt, ap);
}

/* ---- undefined behaviour fails the test, even where UBSan recovers ---- */

/* The UBSan runtime calls this weak hook on every report (it is meant for
 * a debugger's breakpoint); without UBSan it is never called. */
void __ubsan_on_report(void);
static unsigned ubsan_reports, ubsan_seen;

void __ubsan_on_report(void)
{
	ubsan_reports++;
}

/* ================= the rig ================= */

/* Rigs still open when a test fails (cmocka longjmps out), freed by the
 * teardown so a failure under ASan reports the failure, not a leak. */
static struct rig *live[8];

/* Record @r in a free slot (was NULL), or forget it (was r). */
static void track(struct rig *r, struct rig *was)
{
	for (size_t i = 0; i < PB_ARRAY_SIZE(live); i++) {
		if (live[i] == was) {
			live[i] = was ? NULL : r;
			return;
		}
	}
	fail_msg("too many rigs open");
}

struct rig *rig_new(const struct ring_ops *ops, uint16_t num, uint32_t stride, bool rx,
		    bool event_idx, bool indirect)
{
	struct rig *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	track(r, NULL);
	size_t ring = ops->ring_size(num);
	size_t bufs = PB_ALIGN_UP((size_t)num * stride, (size_t)4096);

	r->ops = ops;
	r->num = num;
	r->event_idx = event_idx;
	r->indirect = indirect;
	r->hand_wrap = true;
	r->size = ring + bufs + RIG_SCRATCH;
	r->kickfd = r->callfd = -1;
	r->fd = memfd_create("ring_rig", MFD_CLOEXEC);
	assert_true(r->fd >= 0);
	assert_int_equal(ftruncate(r->fd, (off_t)r->size), 0);
	r->map = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	assert_true(r->map != MAP_FAILED);
	r->bufs = r->map + ring;
	r->scratch = r->bufs + bufs;
	assert_int_equal(ops->drv_init(r, stride, rx), 0);
	assert_true(r->buf_size > 0 && r->buf_size < stride);

	pb_guest_mem_init(&r->mem);
	assert_int_equal(pb_guest_mem_add(&r->mem, r->fd, G(r->map), r->size, G(r->map), 0), 0);
	assert_int_equal(ops->dev_attach(r, &r->mem), 0);
	assert_true(ops->dev_attached(r));
	return r;
}

void rig_eventfds(struct rig *r)
{
	r->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(r->kickfd >= 0 && r->callfd >= 0);
	if (r->ops->kind == RING_SPLIT) {
		r->vq.drv.kickfd = r->kickfd;
		r->vq.dev.callfd = r->callfd;
	} else {
		r->pq.drv.kickfd = r->kickfd;
		r->pq.dev.callfd = r->callfd;
	}
}

void rig_free(struct rig *r)
{
	track(r, r);
	r->ops->drv_fini(r);
	pb_guest_mem_clear(&r->mem);
	munmap(r->map, r->size);
	close(r->fd);
	if (r->kickfd >= 0)
		close(r->kickfd);
	if (r->callfd >= 0)
		close(r->callfd);
	free(r);
}

uint8_t *rig_dev_view(struct rig *r, const void *p)
{
	return r->mem.regions[pb_guest_mem_find_gpa(&r->mem, G(p))].host + (G(p) - G(r->map));
}

uint64_t rig_fd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

static uint8_t pat(unsigned seed, unsigned i)
{
	return (uint8_t)(seed * 37 + i * 11 + (i >> 8) + 3);
}

void rig_fill(uint8_t *p, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = pat(seed, i);
}

void rig_check_fill(const uint8_t *p, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		if (p[i] != pat(seed, i))
			fail_msg("byte %u of buffer %u: 0x%02x, want 0x%02x", i, seed, p[i],
				 pat(seed, i));
}

/* xorshift64: reproducible from the seed, no libc state. */
uint32_t rig_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

int rig_pop(struct rig *r)
{
	r->ops->dev_avail(r);
	return r->ops->dev_pop(r, &r->chain);
}

void rig_expect_broken(struct rig *r, int rc, const char *why)
{
	if (rc != PB_VQ_POP_BROKEN)
		fail_msg("pop returned %d, want BROKEN (%s)", rc, why);
	assert_true(r->ops->dev_broken(r));
	assert_false(r->ops->dev_attached(r));
	if (!strstr(rig_last_log, why))
		fail_msg("log \"%s\" does not say \"%s\"", rig_last_log, why);
	/* Sticky: the queue stays stopped. */
	assert_int_equal(r->ops->dev_pop(r, &r->chain), PB_VQ_POP_BROKEN);
}

void rig_hostile(const struct ring_ops *ops, bool indirect, void (*setup)(struct rig *),
		 const char *why)
{
	struct rig *r = rig_new(ops, 8, 256, false, true, indirect);

	rig_last_log[0] = 0;
	setup(r);
	rig_expect_broken(r, rig_pop(r), why);
	rig_free(r);
}

int rig_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < PB_ARRAY_SIZE(live); i++)
		if (live[i])
			rig_free(live[i]);
	if (ubsan_reports != ubsan_seen) {
		print_error("UBSan reported %u problem(s) in this test\n",
			    ubsan_reports - ubsan_seen);
		ubsan_seen = ubsan_reports;
		return -1;
	}
	return 0;
}

int rig_run(const char *group, const struct CMUnitTest *tests, size_t n)
{
	pb_set_log(log_hook, PB_LOG_WARN);
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}
