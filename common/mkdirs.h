/* SPDX-License-Identifier: MIT */
/*
 * mkdirs.h - mkdir -p, for the directories patchbayd and patchbay-cni make.
 */
#ifndef PB_MKDIRS_H
#define PB_MKDIRS_H

#include <sys/types.h>

/* Make @path and the directories above it that are missing: the last with
 * mode @leaf, the others @parents. Returns 0 or -errno. */
int pbctl_mkdirs(const char *path, mode_t parents, mode_t leaf);

#endif /* PB_MKDIRS_H */
