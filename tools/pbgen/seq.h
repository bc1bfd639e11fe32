/* SPDX-License-Identifier: MIT */
/*
 * seq.h - sequence number accounting of a receiver: lost, reordered and
 * duplicate frames, in a few instructions per frame.
 *
 * A frame ahead of the expected number counts the gap as lost; one behind it
 * was either counted lost earlier (then it is reordered: un-lose it) or seen
 * already (a duplicate). A bitmap of the last PBGEN_SEQ_WINDOW numbers tells
 * the two apart; frames older than the window are counted as reordered.
 * The sender always starts at 0, so frames lost from the very start count too.
 */
#ifndef PBGEN_SEQ_H
#define PBGEN_SEQ_H

#include <stdint.h>
#include <string.h>

#define PBGEN_SEQ_WINDOW (1u << 16)

struct pbgen_seq {
	uint64_t next; /* the sequence number expected next */
	uint64_t lost, reordered, duplicates;
	uint64_t seen[PBGEN_SEQ_WINDOW / 64]; /* bit s % WINDOW: s was received */
};

/* Expect 0 next, keeping the counts: a new sender starts from scratch. */
static inline void pbgen_seq_reset(struct pbgen_seq *s)
{
	s->next = 0;
	memset(s->seen, 0, sizeof(s->seen));
}

static inline void pbgen_seq_set(struct pbgen_seq *s, uint64_t n)
{
	s->seen[(n / 64) % (PBGEN_SEQ_WINDOW / 64)] |= 1ull << (n % 64);
}

/* Forget [from, to): those numbers are missing, and their bits still hold
 * numbers one window older. */
static inline void pbgen_seq_clear(struct pbgen_seq *s, uint64_t from, uint64_t to)
{
	if (to - from >= PBGEN_SEQ_WINDOW) {
		memset(s->seen, 0, sizeof(s->seen));
		return;
	}
	for (uint64_t n = from; n < to; n++)
		s->seen[(n / 64) % (PBGEN_SEQ_WINDOW / 64)] &= ~(1ull << (n % 64));
}

static inline void pbgen_seq_see(struct pbgen_seq *s, uint64_t n)
{
	uint64_t *w = &s->seen[(n / 64) % (PBGEN_SEQ_WINDOW / 64)];
	uint64_t bit = 1ull << (n % 64);

	if (__builtin_expect(n == s->next, 1)) {
		/* Overwrites the bit of n - WINDOW, which is out of the window. */
		*w |= bit;
		s->next++;
		return;
	}
	if (n > s->next) {
		s->lost += n - s->next;
		pbgen_seq_clear(s, s->next, n);
		pbgen_seq_set(s, n);
		s->next = n + 1;
		return;
	}
	if (s->next - n <= PBGEN_SEQ_WINDOW && (*w & bit)) {
		s->duplicates++;
		return;
	}
	*w |= bit;
	s->reordered++;
	if (s->lost)
		s->lost--;
}

#endif /* PBGEN_SEQ_H */
