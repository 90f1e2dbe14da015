/*  dajia_arena: a bump allocator for protobuf-c, for decoding on hot paths.

    Unpacking an Envelope with the default allocator costs one malloc and one free per
    string and per list; the broker decodes hundreds of thousands a second only to
    validate them and keep two strings. With an arena, unpack takes its memory from one
    reused block and dajia_arena_reset() releases everything at once.

    A message unpacked with dajia_arena_allocator() belongs to the arena: never call
    free_unpacked() with another allocator on it; it is gone after the next reset.
    Requests larger than what the block has left fall back to malloc and are freed at
    reset. Not thread-safe: one arena per thread.
*/
#ifndef DAJIA_ARENA_H
#define DAJIA_ARENA_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

typedef struct dajia_arena_t dajia_arena_t;

/* An arena whose block holds `block_size` bytes. NULL when memory ran out. */
dajia_arena_t *
dajia_arena_new(size_t block_size);

/* Frees the arena and everything allocated from it; accepts NULL, sets *self_p NULL. */
void
dajia_arena_destroy(dajia_arena_t **self_p);

/* The allocator to pass to unpack(). Owned by the arena. */
ProtobufCAllocator *
dajia_arena_allocator(dajia_arena_t *self);

/* Releases everything allocated since the last reset. */
void
dajia_arena_reset(dajia_arena_t *self);

#endif
