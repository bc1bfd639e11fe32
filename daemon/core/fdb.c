/* SPDX-License-Identifier: MIT */
/*
 * fdb.c - the learned-MAC table (fdb.h): a fixed pool, chained buckets.
 * Chains rather than open addressing so that an entry that ages out is
 * unlinked on the spot, with no tombstones to lengthen later searches.
 */
#include <stdlib.h>

#include "core/fdb.h"

#define PEEK(x)	  __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

struct pbd_fdb *pbd_fdb_new(uint32_t cap)
{
	struct pbd_fdb *t = calloc(1, sizeof(*t));
	uint32_t nb = 16;

	if (!t || !cap)
		goto fail;
	while (nb < cap && nb < (1u << 30))
		nb <<= 1; /* a load of at most one entry per bucket */
	t->cap = cap;
	t->mask = nb - 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	t->e = calloc(cap, sizeof(*t->e));
	if (!t->bucket || !t->e)
		goto fail;
	for (uint32_t i = 0; i < cap; i++)
		t->e[i].next = i + 2 < cap + 1 ? i + 2 : 0; /* the free list */
	t->free_head = 1;
	return t;
fail:
	pbd_fdb_free(t);
	return NULL;
}

void pbd_fdb_free(struct pbd_fdb *t)
{
	if (!t)
		return;
	free(t->bucket);
	free(t->e);
	free(t);
}

struct pbd_fdb_entry *pbd_fdb_find(struct pbd_fdb *t, uint64_t key)
{
	for (uint32_t i = t->bucket[pbd_fdb_bucket(t, key)]; i; i = t->e[i - 1].next)
		if (t->e[i - 1].key == key)
			return &t->e[i - 1];
	return NULL;
}

struct pbd_fdb_entry *pbd_fdb_insert(struct pbd_fdb *t, uint64_t key)
{
	uint32_t i = t->free_head, b = pbd_fdb_bucket(t, key);

	if (!i)
		return NULL;
	struct pbd_fdb_entry *e = &t->e[i - 1];
	t->free_head = e->next;
	e->seen_ns = 0;
	e->serial = 0;
	e->member = 0;
	e->next = t->bucket[b];
	SET(e->key, key); /* last: a listing skips it until it is whole */
	t->bucket[b] = i;
	t->used++;
	return e;
}

void pbd_fdb_remove(struct pbd_fdb *t, struct pbd_fdb_entry *e)
{
	uint32_t idx = (uint32_t)(e - t->e) + 1;
	uint32_t *link = &t->bucket[pbd_fdb_bucket(t, e->key)];

	while (*link && *link != idx)
		link = &t->e[*link - 1].next;
	if (*link)
		*link = e->next;
	SET(e->key, 0);
	e->next = t->free_head;
	t->free_head = idx;
	t->used--;
}

unsigned pbd_fdb_reclaim(struct pbd_fdb *t, unsigned steps,
			 bool (*dead)(const struct pbd_fdb_entry *e, void *ctx), void *ctx)
{
	unsigned gone = 0;

	if (steps > t->cap)
		steps = t->cap;
	while (steps--) {
		struct pbd_fdb_entry *e = &t->e[t->sweep];
		t->sweep = t->sweep + 1 == t->cap ? 0 : t->sweep + 1;
		if (PEEK(e->key) && dead(e, ctx)) {
			pbd_fdb_remove(t, e);
			gone++;
		}
	}
	return gone;
}
