/*  dajia_arena: bump allocation from one block, malloc beyond it, all freed at reset. */
#include "dajia_arena.h"

#include <stdint.h>
#include <stdlib.h>

#define DAJIA_ARENA_ALIGN 16

/* An allocation that did not fit the block: chained, freed at reset. */
typedef struct s_spill {
    struct s_spill *next;
    max_align_t payload[];
} s_spill_t;

struct dajia_arena_t {
    ProtobufCAllocator allocator; /* first: the allocator_data points back here */
    unsigned char *block;
    size_t size;
    size_t used;
    s_spill_t *spills;
};

static void *
s_alloc(void *data, size_t size)
{
    dajia_arena_t *self = data;
    size_t rounded = (size + DAJIA_ARENA_ALIGN - 1) & ~(size_t)(DAJIA_ARENA_ALIGN - 1);
    if (rounded >= size && self->size - self->used >= rounded) {
        void *ptr = self->block + self->used;
        self->used += rounded;
        return ptr;
    }
    s_spill_t *spill = malloc(sizeof *spill + size);
    if (!spill)
        return NULL;
    spill->next = self->spills;
    self->spills = spill;
    return spill->payload;
}

static void
s_free(void *data, void *ptr)
{
    (void)data; /* everything goes at reset */
    (void)ptr;
}

dajia_arena_t *
dajia_arena_new(size_t block_size)
{
    dajia_arena_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->block = aligned_alloc(DAJIA_ARENA_ALIGN, (block_size + DAJIA_ARENA_ALIGN - 1) &
                                                       ~(size_t)(DAJIA_ARENA_ALIGN - 1));
    if (!self->block) {
        free(self);
        return NULL;
    }
    self->size = block_size & ~(size_t)(DAJIA_ARENA_ALIGN - 1);
    self->allocator.alloc = s_alloc;
    self->allocator.free = s_free;
    self->allocator.allocator_data = self;
    return self;
}

void
dajia_arena_reset(dajia_arena_t *self)
{
    while (self->spills) {
        s_spill_t *next = self->spills->next;
        free(self->spills);
        self->spills = next;
    }
    self->used = 0;
}

void
dajia_arena_destroy(dajia_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    dajia_arena_reset(*self_p);
    free((*self_p)->block);
    free(*self_p);
    *self_p = NULL;
}

ProtobufCAllocator *
dajia_arena_allocator(dajia_arena_t *self)
{
    return &self->allocator;
}
