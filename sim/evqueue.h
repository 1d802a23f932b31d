/* sim/evqueue.h — the kernel's pending-event set (private to sim/; models use sim.h).
 *
 * A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990), which needs one property the kernel guarantees: no event is
 * scheduled before the last one taken out (simulated time never goes back).  `last` is the time of the most recent
 * minimum.  An entry at time t lives in bucket 0 if t == last, else in bucket 1 + (index of the highest bit where t
 * and last differ), so bucket b holds times in [2^(b-1), 2^b) above last's common prefix.  Scheduling appends to a
 * bucket: O(1), one sequential store.  Taking the minimum pops bucket 0; when bucket 0 is empty, the lowest non-empty
 * bucket is scanned for its minimum, that becomes `last`, and its entries are redistributed into lower buckets (each
 * entry moves down at least one bucket per move, about two on average, so it moves ~log2(its delay / event spacing)/2
 * times, each a sequential read and write).  A binary or 4-ary heap instead pays a dependent chain of compares and
 * loads per level on every event; `hnbsim bench kernel` measures the difference (docs/DESIGN.md has the figures).
 *
 * FIFO tie-break without comparing sequence numbers: equal times always share a bucket, buckets are filled only by
 * appending (new events, in schedule order) or by redistributing a higher bucket into empty lower ones (which keeps
 * that bucket's order), so equal-time entries stay in schedule order, and bucket 0 is consumed front to back.
 *
 * Payloads (kind, entity, arg) live in a slot table indexed by the low bits of the entry's key, so redistribution
 * moves 16-byte entries.  Cancel is O(1) and lazy: the slot is freed and its key cleared; the stale entry is dropped
 * when it reaches the front of bucket 0.  Event ids are (generation << 32 | slot): a slot's generation advances on
 * every reuse, so an id that already ran or was cancelled never names a newer event.  key = seq << SLOT_BITS | slot
 * makes a stale entry distinguishable from a live one in the same slot for 2^36 schedules; then seqs are renumbered.
 *
 * Invariants (checked by hnb_evq_verify): every entry of bucket b > 0 differs from last first at bit b-1; entries in
 * bucket 0 (from head0 on) equal last; equal-time entries appear in seq order; every live slot's key appears exactly
 * once; free slots have key 0 and are on the free stack exactly once.
 */
#ifndef HNB_EVQUEUE_H
#define HNB_EVQUEUE_H

#include <stdint.h>
#include <stddef.h>
#include "simtime.h"

#define HNB_EVQ_SLOT_BITS 28
#define HNB_EVQ_SLOT_MASK ((UINT64_C(1) << HNB_EVQ_SLOT_BITS) - 1)
#define HNB_EVQ_SEQ_LIMIT (UINT64_C(1) << (64 - HNB_EVQ_SLOT_BITS))
#define HNB_EVQ_BUCKETS 64 /* times are >= 0, so bit 63 never differs: buckets 0..63 */

typedef struct {
    HnbTime time;
    uint64_t key; /* seq << SLOT_BITS | slot */
} HnbEvqEntry;

typedef struct {
    uint64_t key; /* the key of the live event in this slot; 0 when free or cancelled */
    uint64_t arg;
    uint32_t kind;
    uint32_t entity;
    uint32_t gen; /* advances on each reuse; part of the event id */
    uint32_t next_free;
} HnbEvqSlot;

typedef struct {
    HnbEvqEntry *e;
    size_t len, cap;
    HnbTime min; /* smallest time in the bucket (meaningless when empty): refill needs no scan for it */
} HnbEvqBucket;

typedef struct {
    HnbEvqBucket b[HNB_EVQ_BUCKETS];
    uint64_t nonempty; /* bit b: bucket b has entries (bucket 0: may stay set once consumed) */
    size_t head0;      /* bucket 0 is consumed from here */
    HnbTime last;      /* time of the latest minimum; every entry is >= last */
    size_t entries;    /* in all buckets, stale ones included */
    HnbEvqSlot *slots;
    size_t nslots, slots_cap;
    uint32_t free_head; /* UINT32_MAX: none */
    uint64_t next_seq;
    size_t live; /* scheduled, not yet run or cancelled */
} HnbEvq;

void hnb_evq_init(HnbEvq *q);
void hnb_evq_clear(HnbEvq *q);
void hnb_evq_grow_bucket(HnbEvqBucket *b); /* cold */
void hnb_evq_grow_slots(HnbEvq *q);        /* cold */
void hnb_evq_renumber(HnbEvq *q);          /* cold: rewrites seqs once 2^36 have been used */
gboolean hnb_evq_cancel(HnbEvq *q, uint64_t id);
void hnb_evq_verify(const HnbEvq *q);
/* Refill bucket 0 from the lowest non-empty bucket if its minimum is <= until; FALSE if the queue is empty or its
 * minimum lies after until (nothing is changed then, so events may still be scheduled at any time >= last). */
gboolean hnb_evq_refill(HnbEvq *q, HnbTime until);

static inline unsigned hnb_evq_bucket_of(HnbTime t, HnbTime last)
{
    uint64_t x = (uint64_t)t ^ (uint64_t)last;
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

static inline void hnb_evq_append(HnbEvq *q, unsigned bi, HnbEvqEntry e)
{
    HnbEvqBucket *b = &q->b[bi];
    if (G_UNLIKELY(b->len == b->cap))
        hnb_evq_grow_bucket(b);
    b->min = b->len == 0 || e.time < b->min ? e.time : b->min;
    b->e[b->len++] = e;
    q->nonempty |= UINT64_C(1) << bi;
}

/* Allocate a slot for a new event and build its entry; returns the event id. */
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

/* Add an entry; e.time >= last (the caller guarantees it: events are never scheduled in the past). */
static inline void hnb_evq_push(HnbEvq *q, HnbEvqEntry e)
{
    hnb_evq_append(q, hnb_evq_bucket_of(e.time, q->last), e);
    q->entries++;
}

/* The earliest entry if its time is <= until, else NULL (also when empty).  Stale entries are returned too: the
 * caller compares the key with its slot's. */
static inline const HnbEvqEntry *hnb_evq_front(HnbEvq *q, HnbTime until)
{
    if (G_UNLIKELY(q->head0 == q->b[0].len) && !hnb_evq_refill(q, until))
        return NULL;
    const HnbEvqEntry *e = &q->b[0].e[q->head0];
    return e->time <= until ? e : NULL;
}

/* Remove the entry hnb_evq_front() returned. */
static inline void hnb_evq_pop(HnbEvq *q)
{
    q->head0++;
    q->entries--;
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
