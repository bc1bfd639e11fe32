/* SPDX-License-Identifier: MIT */
/*
 * topo_dot.h - a `topo` result as Graphviz DOT, for `patchbay topo --dot`
 * and the REST API's /v1/topology?format=dot.
 */
#ifndef PB_TOPO_DOT_H
#define PB_TOPO_DOT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* The label of the patches out of @from, written into @buf; NULL: none. */
typedef const char *(*pbctl_dot_label_fn)(void *ctx, const char *from, char *buf, size_t len);

/* Ports as boxes (green up, red down), patches as arrows. */
void pbctl_topo_dot(FILE *f, json_t *topo, pbctl_dot_label_fn label, void *ctx);

#endif /* PB_TOPO_DOT_H */
