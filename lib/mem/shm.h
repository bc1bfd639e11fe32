/* SPDX-License-Identifier: MIT */
/*
 * shm.h - the front-end's shared memory: one memfd, sized once and sealed
 * (F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) so the back-end that maps it
 * can trust its size will not change under it.
 */
#ifndef PB_SHM_H
#define PB_SHM_H

#include <stdbool.h>
#include <stddef.h>

struct pb_shm {
	int fd;
	void *base;
	size_t size; /* rounded up to the page (or huge page) size */
};

/*
 * Create, size, seal and map (shared, read-write) a memfd of at least @size
 * bytes named @name (shows in /proc/PID/fd). @hugetlb asks MFD_HUGETLB.
 * Returns 0 or -errno (-ENOMEM if no huge pages are free).
 */
int pb_shm_create(struct pb_shm *shm, const char *name, size_t size, bool hugetlb);

/* Unmap and close; idempotent on a zeroed or destroyed struct. */
void pb_shm_destroy(struct pb_shm *shm);

#endif /* PB_SHM_H */
