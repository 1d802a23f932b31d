/* sim/evqueue.h — the kernel's pending-event set (private to sim/; models use sim.h).
 *
 * Three structures, one at a time, chosen by size: a 4-ary min-heap while the queue is tiny, a ladder queue
 * (sim/ladder.h) in the middle and a radix heap once it is large.  Measured with `hnbsim bench kernel` and
 * `bench mm1` (docs/DESIGN.md): with a handful of events the heap's one or two levels cost least (M/M/1 keeps two
 * pending); at 10^3 the heap's dependent chain of loads per level is most of an event's cost and the ladder, which
 * takes the front from a sorted array and files by one shift and an append, is ~1.3x faster; out of cache the radix
 * heap's appends and sequential moves win.  The queue moves to the ladder above `ladder_above` entries and back below
 * `ladder_below`, to the radix heap above `radix_above` and back below `radix_below` (hysteresis: a switch is
 * O(n log n)).
 *
 * Heap.  Entries {time, key}, key = seq << SLOT_BITS | slot; (time, key) compared as one unsigned 128-bit number
 * orders by time, then schedule sequence: the FIFO tie-break.  Node i sits at array index i + 3 of a 64-byte-aligned
 * array, so the four children of a node share one cache line.
 *
 * Ladder (sim/ladder.h).  A sorted run the front is taken from, unsorted bins of one width that new entries are
 * appended to, a far list beyond the bins; a bin is sorted by rank when it becomes the run.
 *
 * Radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990).  It needs one property the kernel guarantees: nothing is
 * scheduled before the last minimum taken out (simulated time never goes back).  `last` is that minimum's time.  An
 * entry at time t lives in bucket 0 if t == last, else in bucket 1 + (the highest bit where t and last differ).
 * Scheduling appends to a bucket.  Taking the minimum pops bucket 0; when it is empty the lowest non-empty bucket's
 * minimum (kept per bucket) becomes `last` and its entries move into lower buckets — about half the remaining bits
 * per move, each a sequential 16-byte copy.  FIFO ties without comparing seqs: equal times share a bucket, buckets
 * grow only by appends (schedule order) or by redistribution into empty lower buckets (which keeps order), and bucket
 * 0 is consumed front to back.  A bucket is a list of fixed chunks (HNB_EVQ_CHUNK entries) from a free list shared by
 * all buckets, read from its head and appended to at its tail; a chunk read to its end goes back to the free list at
 * once.  Why not one growable array per bucket: an array's capacity is its bucket's peak, and as events move down
 * through the buckets each one peaks near the whole queue in turn — measured 5.7 entries of capacity per pending
 * entry (a 200k-HNB fleet), ~90 bytes per HNB; chunks hold what is pending plus at most a chunk per bucket.
 *
 * All three.  Payloads (kind, entity, arg) live in a slot table indexed by the key's low bits, so the structures move
 * 16-byte entries.  Cancel is O(1) and lazy: the slot is freed and its key cleared; the stale entry is dropped when it
 * reaches the front.  Event ids are (generation << 32 | slot): a slot's generation advances on every reuse, so an id
 * that already ran or was cancelled never names a newer event.  Seqs have 36 bits; then they are renumbered.
 *
 * Invariants (hnb_evq_verify): heap order, or the ladder's (hnb_ladder_verify: run in rank order and before every bin,
 * bins and far list placed by bin index), or radix placement (every entry of bucket b > 0 differs from last first at
 * bit b-1, bucket 0 equals last); every entry >= last; equal times in seq order; every live slot's key appears exactly
 * once; free slots have key 0 and are on the free stack exactly once.
 */
#ifndef HNB_EVQUEUE_H
#define HNB_EVQUEUE_H

#include <stdint.h>
#include <stddef.h>
#include "sim/time.h"
#include "sim/evqentry.h"
#include "sim/ladder.h"

#define HNB_EVQ_SLOT_BITS 28
#define HNB_EVQ_SLOT_MASK ((UINT64_C(1) << HNB_EVQ_SLOT_BITS) - 1)
#define HNB_EVQ_SEQ_LIMIT (UINT64_C(1) << (64 - HNB_EVQ_SLOT_BITS))
#define HNB_EVQ_BUCKETS 64 /* times are >= 0, so bit 63 never differs: buckets 0..63 */
#define HNB_EVQ_BASE 3     /* heap: array index of the root */
/* default switch points, from the crossovers measured (docs/DESIGN.md) */
#define HNB_EVQ_LADDER_ABOVE 256
#define HNB_EVQ_LADDER_BELOW 64
#define HNB_EVQ_RADIX_ABOVE 16384
#define HNB_EVQ_RADIX_BELOW 4096

typedef enum { HNB_EVQ_HEAP, HNB_EVQ_LADDER, HNB_EVQ_RADIX } HnbEvqMode;

/* 24 bytes, one per pending event (a fleet keeps about one and a third per HNB pending): the slot's own index is the
 * low half of its event's key, so it keeps the seq, beside the kind in the bits the index takes in the key; a free
 * slot needs no entity, so that field links the free stack. */
typedef struct {
    uint64_t arg;
    uint64_t seq_kind; /* seq << SLOT_BITS | kind: seq of the live event's key; seq 0 when free or cancelled */
    union {
        uint32_t entity;    /* live */
        uint32_t next_free; /* free */
    };
    uint32_t gen; /* advances on each reuse; part of the event id */
} HnbEvqSlot;
G_STATIC_ASSERT(sizeof(HnbEvqSlot) == 24);

#define HNB_EVQ_KIND_LIMIT (UINT64_C(1) << HNB_EVQ_SLOT_BITS)

/* Does slot sl hold the live event whose entry has this key?  (The slot named by the key's low bits.) */
static inline gboolean hnb_evq_slot_holds(const HnbEvqSlot *sl, uint64_t key)
{
    return ((sl->seq_kind ^ key) >> HNB_EVQ_SLOT_BITS) == 0;
}

static inline gboolean hnb_evq_slot_live(const HnbEvqSlot *sl)
{
    return (sl->seq_kind >> HNB_EVQ_SLOT_BITS) != 0;
}

static inline uint32_t hnb_evq_slot_kind(const HnbEvqSlot *sl)
{
    return (uint32_t)(sl->seq_kind & HNB_EVQ_SLOT_MASK);
}

/* The live event in sl now has this key (renumbering). */
static inline void hnb_evq_slot_rekey(HnbEvqSlot *sl, uint64_t key)
{
    sl->seq_kind = (key & ~HNB_EVQ_SLOT_MASK) | (sl->seq_kind & HNB_EVQ_SLOT_MASK);
}

/* 16 KiB: the link and padding take the room of one entry */
#define HNB_EVQ_CHUNK 1023

typedef struct HnbEvqChunk HnbEvqChunk;
struct HnbEvqChunk {
    HnbEvqChunk *next; /* towards the tail; on the free list, the next free chunk */
    uint64_t pad;      /* entries start 16-byte aligned */
    HnbEvqEntry e[HNB_EVQ_CHUNK];
};

/* Entries from head->e[rd] to tail->e[wr - 1], in order along the chunks.  No chunk when empty of chunks: head = tail
 * = NULL and rd = wr = HNB_EVQ_CHUNK, so the next append takes a chunk. */
typedef struct {
    HnbEvqChunk *head, *tail;
    uint32_t rd, wr;
    size_t len;  /* entries held */
    HnbTime min; /* smallest time in the bucket (meaningless when empty): refill needs no scan for it */
} HnbEvqBucket;

typedef struct {
    HnbEvqMode mode;    /* which structure holds the entries */
    size_t entries;     /* in it, stale ones included */
    HnbTime last;       /* time of the latest minimum taken out; every entry is >= last */
    size_t ladder_above, ladder_below, radix_above, radix_below;
    /* ladder */
    HnbLadder ladder;
    /* heap */
    HnbEvqEntry *heap; /* capacity cap + BASE entries, 64-byte aligned */
    size_t cap;
    /* radix heap */
    HnbEvqBucket b[HNB_EVQ_BUCKETS];
    uint64_t nonempty; /* bit b: bucket b has entries (bucket 0: may stay set once consumed) */
    HnbEvqChunk *spare; /* free chunks (kept: the queue's chunks peak with its entries) */
    HnbEvqSlot *slots;
    size_t nslots, slots_cap; /* slots [0, nslots) are in use or on the free stack; the rest never touched */
    uint32_t free_head; /* UINT32_MAX: none */
    uint64_t next_seq;
    size_t live; /* scheduled, not yet run or cancelled */
} HnbEvq;

void hnb_evq_init(HnbEvq *q);
void hnb_evq_clear(HnbEvq *q);
void hnb_evq_grow_bucket(HnbEvq *q, HnbEvqBucket *b); /* cold: a new tail chunk */
void hnb_evq_next_chunk(HnbEvq *q, HnbEvqBucket *b);  /* cold: the head chunk is read; free it */
void hnb_evq_grow_heap(HnbEvq *q);         /* cold */
void hnb_evq_retarget(HnbEvq *q);          /* cold: move to the structure for the current size; O(n log n) */
void hnb_evq_grow_slots(HnbEvq *q);        /* cold */
void hnb_evq_renumber(HnbEvq *q);          /* cold: rewrites seqs once 2^36 have been used */
gboolean hnb_evq_cancel(HnbEvq *q, uint64_t id);
void hnb_evq_verify(const HnbEvq *q);
/* Refill bucket 0 from the lowest non-empty bucket if its minimum is <= until; FALSE if the queue is empty or its
 * minimum lies after until (nothing is changed then, so events may still be scheduled at any time >= last). */
gboolean hnb_evq_refill(HnbEvq *q, HnbTime until);
/* The smallest time held, stale entries included; HNB_TIME_NEVER when empty.  Changes nothing (hnb_sim_next_time). */
HnbTime hnb_evq_peek_time(const HnbEvq *q);

/* ---- heap ---------------------------------------------------------------------------------------------- */

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
        size_t second = rb < ra; /* as arithmetic: written as `?:` GCC makes it a branch (measured 1.17x slower) */
        return a + ((b - a) & (0 - second));
    }
    size_t best = 0;
    for (size_t j = 1; j < m; j++)
        if (hnb_evq_rank(&k[j]) < hnb_evq_rank(&k[best]))
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

/* Replace the root by e (heap non-empty): one pass instead of a pop and a push.  Floyd's bottom-up variant: a newly
 * scheduled event is usually later than most pending ones, so walk the hole from the root to a leaf along the
 * smallest children without comparing against e (three compares per level instead of four), then sift e up from
 * there, which rarely moves more than a level. */
static inline void hnb_evq_heap_replace_top(HnbEvqEntry *h, size_t n, HnbEvqEntry e)
{
    size_t i = 0;
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

/* ---- radix heap ---------------------------------------------------------------------------------------- */

static inline unsigned hnb_evq_bucket_of(HnbTime t, HnbTime last)
{
    uint64_t x = (uint64_t)t ^ (uint64_t)last;
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

static inline void hnb_evq_append(HnbEvq *q, unsigned bi, HnbEvqEntry e)
{
    HnbEvqBucket *b = &q->b[bi];
    if (G_UNLIKELY(b->wr == HNB_EVQ_CHUNK))
        hnb_evq_grow_bucket(q, b);
    b->min = b->len == 0 || e.time < b->min ? e.time : b->min;
    b->tail->e[b->wr++] = e;
    b->len++;
    q->nonempty |= UINT64_C(1) << bi;
}

/* Take bucket 0's front entry out (it is not empty). */
static inline void hnb_evq_take0(HnbEvq *q)
{
    HnbEvqBucket *b = &q->b[0];
    b->len--;
    if (G_UNLIKELY(++b->rd == HNB_EVQ_CHUNK))
        hnb_evq_next_chunk(q, b);
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
    sl->seq_kind = (out->key & ~HNB_EVQ_SLOT_MASK) | kind; /* kind < HNB_EVQ_KIND_LIMIT (hnb_sim_register) */
    sl->arg = arg;
    sl->entity = entity;
    q->live++;
    return ((uint64_t)sl->gen << 32) | s;
}

/* ---- the queue ---------------------------------------------------------------------------------------- */

/* Add an entry; e.time >= last (the caller guarantees it: events are never scheduled in the past). */
static inline void hnb_evq_push(HnbEvq *q, HnbEvqEntry e)
{
    if (q->mode == HNB_EVQ_HEAP) {
        if (G_UNLIKELY(q->entries == q->cap))
            hnb_evq_grow_heap(q);
        hnb_evq_sift_up(q->heap, q->entries++, e);
        if (G_UNLIKELY(q->entries > q->ladder_above))
            hnb_evq_retarget(q);
    } else if (q->mode == HNB_EVQ_LADDER) {
        hnb_ladder_insert(&q->ladder, e);
        if (G_UNLIKELY(++q->entries > q->radix_above))
            hnb_evq_retarget(q);
    } else {
        hnb_evq_append(q, hnb_evq_bucket_of(e.time, q->last), e);
        q->entries++;
    }
}

/* The earliest entry if its time is <= until, else NULL (also when empty).  Stale entries are returned too: the
 * caller compares the key with its slot's.  The pointer is valid until the next push, pop or replace. */
static inline const HnbEvqEntry *hnb_evq_front(HnbEvq *q, HnbTime until)
{
    const HnbEvqEntry *e;
    if (q->mode == HNB_EVQ_HEAP) {
        if (q->entries == 0)
            return NULL;
        e = &q->heap[HNB_EVQ_BASE];
    } else if (q->mode == HNB_EVQ_LADDER) {
        if ((e = hnb_ladder_front(&q->ladder)) == NULL)
            return NULL;
    } else {
        if (G_UNLIKELY(q->b[0].len == 0) && !hnb_evq_refill(q, until))
            return NULL;
        e = &q->b[0].head->e[q->b[0].rd];
    }
    return e->time <= until ? e : NULL;
}

/* Remove the entry hnb_evq_front() returned. */
static inline void hnb_evq_pop(HnbEvq *q)
{
    if (q->mode == HNB_EVQ_LADDER) {
        q->last = q->ladder.run[q->ladder.head].time;
        hnb_ladder_pop(&q->ladder);
        if (G_UNLIKELY(--q->entries < q->ladder_below))
            hnb_evq_retarget(q);
        return;
    }
    if (q->mode == HNB_EVQ_RADIX) {
        hnb_evq_take0(q);
        if (G_UNLIKELY(--q->entries < q->radix_below))
            hnb_evq_retarget(q);
        return;
    }
    q->last = q->heap[HNB_EVQ_BASE].time;
    HnbEvqEntry tail = q->heap[--q->entries + HNB_EVQ_BASE];
    if (q->entries > 0)
        hnb_evq_sift_down(q->heap, q->entries, 0, tail);
}

/* Remove the entry hnb_evq_front() returned and add e (e.time >= that entry's time): in the heap one pass from the
 * root instead of a sift-down and a sift-up.  Most handlers schedule a follow-up, so the run loop defers the pop of
 * the event being handled to its handler's first schedule. */
static inline void hnb_evq_replace_front(HnbEvq *q, HnbEvqEntry e)
{
    if (q->mode == HNB_EVQ_LADDER) {
        q->last = q->ladder.run[q->ladder.head].time;
        hnb_ladder_pop(&q->ladder);
        hnb_ladder_insert(&q->ladder, e);
        return;
    }
    if (q->mode == HNB_EVQ_RADIX) {
        hnb_evq_take0(q);
        hnb_evq_append(q, hnb_evq_bucket_of(e.time, q->last), e);
        return;
    }
    q->last = q->heap[HNB_EVQ_BASE].time;
    hnb_evq_heap_replace_top(q->heap, q->entries, e);
}

/* Return a slot to the free stack after its event ran or was cancelled. */
static inline void hnb_evq_release(HnbEvq *q, uint32_t s)
{
    HnbEvqSlot *sl = &q->slots[s];
    sl->seq_kind = 0;
    if (++sl->gen == 0)
        sl->gen = 1; /* ids never become 0 */
    sl->next_free = q->free_head;
    q->free_head = s;
}

#endif
