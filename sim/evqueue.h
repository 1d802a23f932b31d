/* sim/evqueue.h — the kernel's pending-event set (private to sim/; models use sim.h).
 *
 * Layout.  A 4-ary min-heap of 16-byte entries {time, key}, where key = seq << SLOT_BITS | slot.  Comparing (time,
 * key) orders by time, then by schedule sequence: the FIFO tie-break.  The payload (kind, entity, arg) lives in a
 * slot table indexed by the low bits, so sifting moves 16 bytes, not 32.  Node i of the heap is stored at array
 * index i + 3 and the array is 64-byte aligned, so the four children of any node (array 4i+4 .. 4i+7) share one
 * cache line: a sift-down level costs one miss (libev makes the same choice for its timers; here it is measured by
 * `hnbsim bench kernel`).
 *
 * Cancel is O(1) and lazy: the slot is freed and its `key` cleared; the stale heap entry is dropped when it reaches
 * the top (its key no longer matches its slot's).  Event ids are (generation << 32 | slot): a slot's generation
 * advances on every reuse, so an id that already ran or was cancelled never names a newer event.
 *
 * Invariants (checked by hnb_evq_verify): heap order over [3, 3 + n); every live slot's key appears exactly once in
 * the heap; free slots have key 0 and are on the free stack exactly once.
 */
#ifndef HNB_EVQUEUE_H
#define HNB_EVQUEUE_H

#include <stdint.h>
#include <stddef.h>
#include "simtime.h"

#define HNB_EVQ_SLOT_BITS 28
#define HNB_EVQ_SLOT_MASK ((UINT64_C(1) << HNB_EVQ_SLOT_BITS) - 1)
#define HNB_EVQ_SEQ_LIMIT (UINT64_C(1) << (64 - HNB_EVQ_SLOT_BITS))
#define HNB_EVQ_BASE 3 /* array index of the root */

typedef struct {
    HnbTime time;
    uint64_t key; /* seq << SLOT_BITS | slot */
} HnbEvqEntry;

typedef struct {
    uint64_t key; /* the heap key of the live event in this slot; 0 when free or cancelled */
    uint64_t arg;
    uint32_t kind;
    uint32_t entity;
    uint32_t gen; /* advances on each reuse; part of the event id */
    uint32_t next_free;
} HnbEvqSlot;

typedef struct {
    HnbEvqEntry *heap; /* capacity cap + BASE entries, 64-byte aligned */
    size_t n, cap;
    HnbEvqSlot *slots;
    size_t nslots, slots_cap;
    uint32_t free_head; /* UINT32_MAX: none */
    uint64_t next_seq;
    size_t live;        /* scheduled, not yet run or cancelled */
} HnbEvq;

void hnb_evq_init(HnbEvq *q);
void hnb_evq_clear(HnbEvq *q);
void hnb_evq_grow_heap(HnbEvq *q);  /* cold */
void hnb_evq_grow_slots(HnbEvq *q); /* cold */
void hnb_evq_renumber(HnbEvq *q);   /* cold: rewrites seqs once 2^36 have been used */
gboolean hnb_evq_cancel(HnbEvq *q, uint64_t id);
void hnb_evq_verify(const HnbEvq *q);

/* Times are never negative (events are scheduled at >= now >= 0), so (time, key) compares as one unsigned 128-bit
 * number: a cmp/sbb pair instead of two dependent branches. */
static inline unsigned __int128 hnb_evq_rank(const HnbEvqEntry *a)
{
    return ((unsigned __int128)(uint64_t)a->time << 64) | a->key;
}

static inline int hnb_evq_less(const HnbEvqEntry *a, const HnbEvqEntry *b)
{
    return hnb_evq_rank(a) < hnb_evq_rank(b);
}

static inline void hnb_evq_sift_up(HnbEvqEntry *h, size_t i, HnbEvqEntry e)
{
    /* i is a heap index (0-based, root 0); parent (i-1)/4 */
    unsigned __int128 r = hnb_evq_rank(&e);
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (r >= hnb_evq_rank(&h[p + HNB_EVQ_BASE]))
            break;
        h[i + HNB_EVQ_BASE] = h[p + HNB_EVQ_BASE];
        i = p;
    }
    h[i + HNB_EVQ_BASE] = e;
}

/* The smallest of the m (1..4) children starting at k, as an offset 0..m-1.  Four children (the common case) are
 * compared by a tournament — two independent compares, then one — which the compiler turns into conditional
 * moves: the outcome of these compares is random, so branches would mispredict half the time. */
static inline size_t hnb_evq_min_child(const HnbEvqEntry *k, size_t m)
{
    if (G_LIKELY(m == 4)) {
        unsigned __int128 r0 = hnb_evq_rank(&k[0]), r1 = hnb_evq_rank(&k[1]);
        unsigned __int128 r2 = hnb_evq_rank(&k[2]), r3 = hnb_evq_rank(&k[3]);
        size_t a = r1 < r0, b = 2 + (r3 < r2);
        unsigned __int128 ra = r1 < r0 ? r1 : r0, rb = r3 < r2 ? r3 : r2;
        return rb < ra ? b : a;
    }
    size_t best = 0;
    for (size_t j = 1; j < m; j++)
        if (hnb_evq_less(&k[j], &k[best]))
            best = j;
    return best;
}

/* Put e at heap index i (a hole) and sift it down; n is the heap size. */
static inline void hnb_evq_sift_down(HnbEvqEntry *h, size_t n, size_t i, HnbEvqEntry e)
{
    unsigned __int128 r = hnb_evq_rank(&e);
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        HnbEvqEntry *k = &h[c + HNB_EVQ_BASE];
        size_t best = hnb_evq_min_child(k, n - c < 4 ? n - c : 4);
        if (hnb_evq_rank(&k[best]) >= r)
            break;
        h[i + HNB_EVQ_BASE] = k[best];
        i = c + best;
    }
    h[i + HNB_EVQ_BASE] = e;
}

/* Allocate a slot for a new event and build its heap entry; returns the event id. */
static inline uint64_t hnb_evq_make(HnbEvq *q, HnbTime at, uint32_t kind, uint32_t entity, uint64_t arg,
                                    HnbEvqEntry *out)
{
    if (G_UNLIKELY(q->free_head == UINT32_MAX))
        hnb_evq_grow_slots(q);
    if (G_UNLIKELY(q->next_seq >= HNB_EVQ_SEQ_LIMIT))
        hnb_evq_renumber(q);
    uint32_t s = q->free_head;
    HnbEvqSlot *sl = &q->slots[s];
    q->free_head = sl->next_free;
    out->time = at;
    out->key = (q->next_seq++ << HNB_EVQ_SLOT_BITS) | s;
    sl->key = out->key;
    sl->arg = arg;
    sl->kind = kind;
    sl->entity = entity;
    q->live++;
    return ((uint64_t)sl->gen << 32) | s;
}

static inline void hnb_evq_push(HnbEvq *q, HnbEvqEntry e)
{
    if (G_UNLIKELY(q->n == q->cap))
        hnb_evq_grow_heap(q);
    hnb_evq_sift_up(q->heap, q->n++, e);
}

/* Remove the root (heap non-empty). */
static inline void hnb_evq_pop(HnbEvq *q)
{
    HnbEvqEntry last = q->heap[--q->n + HNB_EVQ_BASE];
    if (q->n > 0)
        hnb_evq_sift_down(q->heap, q->n, 0, last);
}

/* Replace the root by e (heap non-empty): one pass instead of a pop and a push.
 *
 * Floyd's bottom-up variant: a newly scheduled event is usually later than most pending ones (now + a delay), so it
 * belongs near the leaves.  Walk the hole from the root to a leaf along the smallest children without comparing
 * against e (three compares per level instead of four, and no dependency on e), then sift e up from there, which
 * rarely moves more than a level. */
static inline void hnb_evq_replace_top(HnbEvq *q, HnbEvqEntry e)
{
    HnbEvqEntry *h = q->heap;
    size_t n = q->n, i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        HnbEvqEntry *k = &h[c + HNB_EVQ_BASE];
        size_t best = hnb_evq_min_child(k, n - c < 4 ? n - c : 4);
        h[i + HNB_EVQ_BASE] = k[best];
        i = c + best;
    }
    hnb_evq_sift_up(h, i, e);
}

/* Return a slot to the free stack after its event ran or was cancelled. */
static inline void hnb_evq_release(HnbEvq *q, uint32_t s)
{
    HnbEvqSlot *sl = &q->slots[s];
    sl->key = 0;
    if (++sl->gen == 0)
        sl->gen = 1; /* ids never become 0 */
    sl->next_free = q->free_head;
    q->free_head = s;
}

#endif
