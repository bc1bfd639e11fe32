/* SPDX-License-Identifier: MIT */
/*
 * fdb.h - a bridge's table of learned MACs: a fixed pool of entries made at
 * bridge creation, chained from a power-of-two bucket array. The pool is
 * the table's bound (max-macs): learning never allocates, and a full pool
 * refuses a new MAC instead of growing. One thread writes it (the worker
 * that runs the bridge); the control thread only reads it, entry by entry,
 * to list it (fields read one by one may be from two moments: a listing of
 * a table that moves is a snapshot of no single instant, never a crash).
 *
 * What an entry means (which member, whether it is still valid, aged) is
 * the bridge's business (bridge_fwd.c): here are only keys and slots.
 */
#ifndef PBD_FDB_H
#define PBD_FDB_H

#include <stdbool.h>
#include <stdint.h>

/* (VLAN, MAC) as one word: bit 63 set (so no key is 0, the free mark),
 * the VID in bits 48..59, the MAC in the low 48 bits. */
static inline uint64_t pbd_fdb_key(const uint8_t *mac, uint16_t vid)
{
	uint64_t k = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		     (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];

	return 1ull << 63 | (uint64_t)(vid & 0x0fff) << 48 | k;
}

static inline uint16_t pbd_fdb_key_vid(uint64_t key)
{
	return (uint16_t)(key >> 48 & 0x0fff);
}

static inline void pbd_fdb_key_mac(uint64_t key, uint8_t *mac)
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(key >> (40 - 8 * i));
}

struct pbd_fdb_entry {
	uint64_t key;	  /* 0: free */
	uint64_t seen_ns; /* last frame from this MAC */
	uint32_t next;	  /* the next entry of its bucket, as index + 1; 0 ends */
	uint32_t serial;  /* the member's attachment serial (bridge.h) */
	uint16_t member;  /* the member's slot on its bridge */
};

struct pbd_fdb {
	uint32_t cap;	    /* entries in the pool: the most MACs it holds */
	uint32_t mask;	    /* buckets - 1 */
	uint32_t used;	    /* entries in use */
	uint32_t free_head; /* the first free entry, as index + 1; 0: full */
	uint32_t sweep;	    /* where pbd_fdb_reclaim() looks next */
	uint32_t *bucket;   /* the first entry of each, as index + 1 */
	struct pbd_fdb_entry *e;
};

/* Fibonacci hashing: MACs of one vendor (or of a test's counter) differ in
 * their low bits only, and the multiply spreads those over the top bits. */
static inline uint32_t pbd_fdb_bucket(const struct pbd_fdb *t, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 34) & t->mask;
}

/* Lookups of a burst in two steps ahead of use, so a table larger than the
 * caches costs a miss per burst rather than two per frame: first the
 * bucket, then (once it is in) its first entry. */
static inline void pbd_fdb_prefetch_bucket(const struct pbd_fdb *t, uint64_t key)
{
	__builtin_prefetch(&t->bucket[pbd_fdb_bucket(t, key)]);
}

static inline void pbd_fdb_prefetch_entry(const struct pbd_fdb *t, uint64_t key)
{
	uint32_t i = t->bucket[pbd_fdb_bucket(t, key)];

	if (i)
		__builtin_prefetch(&t->e[i - 1]);
}

/* A table of @cap entries; NULL when out of memory. */
struct pbd_fdb *pbd_fdb_new(uint32_t cap);
void pbd_fdb_free(struct pbd_fdb *t);

struct pbd_fdb_entry *pbd_fdb_find(struct pbd_fdb *t, uint64_t key);
/* A new entry for @key (which must not be in the table), its other fields
 * zero; NULL when the pool is used up. */
struct pbd_fdb_entry *pbd_fdb_insert(struct pbd_fdb *t, uint64_t key);
void pbd_fdb_remove(struct pbd_fdb *t, struct pbd_fdb_entry *e);

/* Look at up to @steps entries from where the last call stopped and remove
 * those @dead says are (expired, or of a member gone); returns how many
 * went. Run when the pool is full, so stale entries give way to new MACs
 * without a sweep over the whole table at once. */
unsigned pbd_fdb_reclaim(struct pbd_fdb *t, unsigned steps,
			 bool (*dead)(const struct pbd_fdb_entry *e, void *ctx), void *ctx);

#endif /* PBD_FDB_H */
