/* sim/ladder.h — a two-rung ladder queue: the pending-event set's structure for mid-sized queues (private to sim/).
 *
 * Why.  A heap pays a dependent chain of loads and compares per level on every event; at 10^3 pending that chain is
 * most of the cost of an event.  A ladder queue (Tang, Goh and Thng, ACM TOMACS 2005) takes the minimum from a sorted
 * array — the next front is known at once — and files a new event by one shift and one append.  The sorting is
 * deferred and done in small batches, each entry sorted once.
 *
 * Shape.
 *  - The run: entries sorted by rank (time, then schedule order), consumed from `head`.  It holds every entry whose
 *    bin index a = time >> shift is below `cur`.
 *  - The bins: nb (a power of two) unsorted append-only arrays.  An entry with cur <= a < cur + nb lives in bin
 *    a & (nb - 1); `bits` marks the non-empty ones so that finding the next is a count of trailing zeros.
 *  - Far: entries with a >= cur + nb when filed; far_min is their smallest a.
 * When the run is used up, the next non-empty bin before far_min becomes the run (sorted); if there is none, cur
 * jumps to far_min and far is spread over the bins.  A new event before cur goes into the run by binary search (rare:
 * the run spans one bin width).
 *
 * Width.  A bin should hold ~HNB_LADDER_BIN_TARGET entries: the width comes from the spacing of the earliest entries
 * when the ladder is built.  It is rebuilt (every entry re-filed, O(n)) when its size has halved or doubled, when a
 * bin to be sorted is far too full, or when spreading far moves many entries for few taken — each only once enough
 * entries have been filed or taken since to pay for it, so the cost stays O(1) per event whatever the
 * distribution.  Results never depend on the width: the run is always in rank order.
 *
 * Cancel is lazy as in the other structures: a stale entry is dropped by the caller when it reaches the front.
 */
#ifndef HNB_LADDER_H
#define HNB_LADDER_H

#include <stddef.h>
#include <stdint.h>
#include "sim/evqentry.h"

#define HNB_LADDER_BIN_TARGET 16 /* entries per bin the width aims at (best of 4..64 measured at 10^3 pending) */
#define HNB_LADDER_MIN_BINS 64   /* one word of `bits` */
#define HNB_LADDER_WINDOW 8      /* bins per BIN_TARGET entries held: the window spans ~8x the entries held */

typedef struct {
    HnbEvqEntry *e;
    size_t len, cap;
} HnbLadderBin;

typedef struct {
    HnbEvqEntry *run;
    size_t head, len, cap;
    HnbLadderBin *bin;
    uint64_t *bits;
    size_t nb;
    HnbLadderBin far;
    int64_t far_min; /* INT64_MAX when far is empty */
    int64_t cur;
    unsigned shift;
    size_t count;         /* entries held: run from head, bins, far */
    size_t built_count;   /* count when last built */
    uint64_t ops;         /* entries filed or taken since: a rebuild (O(count)) waits for built_count of them */
    uint64_t since_far;   /* entries taken since far was last spread */
    uint64_t rebuilds[3]; /* rebuilds for drift, a too narrow window, a too wide bin (for tests and tuning) */
    uint64_t spreads;     /* far list spread */
} HnbLadder;

void hnb_ladder_init(HnbLadder *l);
void hnb_ladder_free(HnbLadder *l);
/* File n entries (any order) into an empty ladder, choosing the width from them. */
void hnb_ladder_build(HnbLadder *l, const HnbEvqEntry *e, size_t n);
/* Move every entry out into a new array (g_free it; NULL when none); the ladder is left empty. */
size_t hnb_ladder_take_all(HnbLadder *l, HnbEvqEntry **out);
/* The run is used up: make the next bin the run.  FALSE when the ladder is empty. */
gboolean hnb_ladder_refill(HnbLadder *l);
/* The smallest time held, HNB_TIME_NEVER when empty, without refilling the run: O(1) while the run has entries,
 * else a scan of the bin that would become the run (and of the far list when no bin comes before it). */
int64_t hnb_ladder_peek_time(const HnbLadder *l);
void hnb_ladder_insert_run(HnbLadder *l, HnbEvqEntry e); /* an entry before cur: into the sorted run */
void hnb_ladder_grow_bin(HnbLadderBin *b);              /* cold */
/* Check every invariant; aborts with a message.  fn sees each entry held (for the caller's own checks). */
void hnb_ladder_verify(const HnbLadder *l, void (*fn)(const HnbEvqEntry *e, void *data), void *data);

static inline void hnb_ladder_bin_push(HnbLadderBin *b, HnbEvqEntry e)
{
    if (G_UNLIKELY(b->len == b->cap))
        hnb_ladder_grow_bin(b);
    b->e[b->len++] = e;
}

static inline void hnb_ladder_insert(HnbLadder *l, HnbEvqEntry e)
{
    int64_t a = e.time >> l->shift;
    l->count++;
    l->ops++;
    if (G_UNLIKELY(a < l->cur)) {
        hnb_ladder_insert_run(l, e);
    } else if (G_LIKELY((uint64_t)(a - l->cur) < l->nb)) {
        size_t k = (size_t)a & (l->nb - 1);
        hnb_ladder_bin_push(&l->bin[k], e);
        l->bits[k >> 6] |= UINT64_C(1) << (k & 63);
    } else {
        hnb_ladder_bin_push(&l->far, e);
        l->far_min = a < l->far_min ? a : l->far_min;
    }
}

/* The smallest entry, or NULL when empty.  Valid until the next insert or pop. */
static inline const HnbEvqEntry *hnb_ladder_front(HnbLadder *l)
{
    if (G_UNLIKELY(l->head == l->len) && !hnb_ladder_refill(l))
        return NULL;
    return &l->run[l->head];
}

/* Remove the entry hnb_ladder_front() returned. */
static inline void hnb_ladder_pop(HnbLadder *l)
{
    l->head++;
    l->count--;
    l->ops++;
    l->since_far++;
}

#endif
