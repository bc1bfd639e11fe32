/* SPDX-License-Identifier: MIT */
/*
 * id_fifo.h - a driver's TX buffer ids that are not posted, handed out in
 * the order they came back (split and packed drivers share it).
 *
 * Why FIFO and not a stack: with an in-order device, ids then follow ring
 * slots lap after lap, so the descriptor and avail slot a post would write
 * already hold the value and are left alone (pb_vq_drv_post()); a stack
 * hands the same few ids out again and scrambles that. Any ring size (packed
 * rings need not be a power of two). Private to the driver: never shared.
 */
#ifndef PB_ID_FIFO_H
#define PB_ID_FIFO_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct pb_id_fifo {
	uint16_t *ids; /* num entries */
	uint16_t num;
	uint16_t head;	/* next id to hand out */
	uint16_t count; /* ids held */
};

static inline int pb_id_fifo_init(struct pb_id_fifo *f, uint16_t num)
{
	f->ids = calloc(num, sizeof(*f->ids));
	f->num = num;
	f->head = 0;
	f->count = 0;
	return f->ids ? 0 : -ENOMEM;
}

static inline void pb_id_fifo_fini(struct pb_id_fifo *f)
{
	free(f->ids);
	f->ids = NULL;
	f->count = 0;
}

static inline void pb_id_fifo_clear(struct pb_id_fifo *f)
{
	f->head = 0;
	f->count = 0;
}

/* The oldest id; the caller checks count first. */
static inline uint16_t pb_id_fifo_get(struct pb_id_fifo *f)
{
	uint16_t id = f->ids[f->head];

	if (++f->head == f->num)
		f->head = 0;
	f->count--;
	return id;
}

/* Hand @id back; at most num are ever held (each id is either posted or here). */
static inline void pb_id_fifo_put(struct pb_id_fifo *f, uint16_t id)
{
	uint32_t tail = (uint32_t)f->head + f->count;

	f->ids[tail >= f->num ? tail - f->num : tail] = id;
	f->count++;
}

#endif /* PB_ID_FIFO_H */
