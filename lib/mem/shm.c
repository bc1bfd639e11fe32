/* SPDX-License-Identifier: MIT */
/*
 * shm.c - the front-end's shared memory: one memfd, sized once, mapped
 * shared and sealed against growing and shrinking.
 *
 * Why seal: the back-end maps this fd and trusts the region size we
 * announce. Without F_SEAL_SHRINK we could (by bug or malice) truncate the
 * file under its mapping and make its next access SIGBUS; with the seals the
 * size is a fact the back-end can verify with fstat() and F_GET_SEALS.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mem/shm.h"
#include "util/compiler.h"
#include "util/log.h"

#define PB_PAGE_SIZE	  4096ULL
#define PB_HUGE_PAGE_SIZE (2ULL << 20)

/* Seal the size. hugetlbfs supports seals only on recent kernels (4.16+);
 * on older ones the memory is still usable, merely unsealed. */
static int seal_size(int fd, bool hugetlb)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) == 0)
		return 0;
	if (hugetlb && errno == EINVAL) {
		pb_dbg("shm: hugetlb memfd cannot be sealed on this kernel; left unsealed");
		return 0;
	}
	return -errno;
}

int pb_shm_create(struct pb_shm *shm, const char *name, size_t size, bool hugetlb)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	size_t page = hugetlb ? PB_HUGE_PAGE_SIZE : PB_PAGE_SIZE;
	int err;

	shm->fd = -1;
	shm->base = NULL;
	shm->size = 0;
	if (size == 0 || size > SIZE_MAX - page)
		return -EINVAL;
	size = PB_ALIGN_UP(size, page);
	/* Ask for 2 MiB pages explicitly so the rounding above is the real one
	 * whatever the system's default huge page size is. */
	if (hugetlb)
		flags |= MFD_HUGETLB | MFD_HUGE_2MB;

	int fd = memfd_create(name, flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		err = -errno;
		goto fail;
	}
	/* With hugetlb this is where the pages are reserved: no free huge
	 * pages gives ENOMEM here rather than SIGBUS on first touch. */
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	err = seal_size(fd, hugetlb);
	if (err) {
		munmap(base, size);
		goto fail;
	}
	shm->fd = fd;
	shm->base = base;
	shm->size = size;
	return 0;
fail:
	close(fd);
	return err;
}

void pb_shm_destroy(struct pb_shm *shm)
{
	/* base is set only by a successful create, so a zeroed struct (fd 0
	 * there is not ours) is left alone. */
	if (shm->base) {
		munmap(shm->base, shm->size);
		close(shm->fd);
	}
	shm->fd = -1;
	shm->base = NULL;
	shm->size = 0;
}
