/* sim/evqueue.c — the cold half of the pending-event set: refill, growth, cancel, renumbering, verification.
 * The hot half (make, push, front, pop) is inline in evqueue.h so the run loop compiles into one tight function. */
#include "sim/evqueue.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Large arrays: 2 MiB-aligned and marked for transparent huge pages: with a million pending events the slot table
 * is read at random, and with 4 KiB pages nearly every such read is also a TLB miss (measured with
 * `hnbsim bench kernel --pending 1000000`). */
static void *alloc_big(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    void *p;
    if (bytes >= huge) {
        bytes = (bytes + huge - 1) & ~(huge - 1);
        p = aligned_alloc(huge, bytes);
#ifdef MADV_HUGEPAGE
        if (p)
            madvise(p, bytes, MADV_HUGEPAGE); /* advice only: failure just means small pages */
#endif
    } else {
        p = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    }
    if (!p)
        g_error("hnbsim: out of memory allocating %zu bytes for the event queue", bytes);
    return p;
}

static void bucket_reset(HnbEvqBucket *b)
{
    b->head = b->tail = NULL;
    b->rd = b->wr = HNB_EVQ_CHUNK;
    b->len = 0;
}

static void chunk_put(HnbEvq *q, HnbEvqChunk *c)
{
    c->next = q->spare;
    q->spare = c;
}

/* Every chunk of b back to the free list; b is left empty. */
static void bucket_drop(HnbEvq *q, HnbEvqBucket *b)
{
    for (HnbEvqChunk *c = b->head, *next; c; c = next) {
        next = c->next;
        chunk_put(q, c);
    }
    bucket_reset(b);
}

void hnb_evq_grow_bucket(HnbEvq *q, HnbEvqBucket *b)
{
    HnbEvqChunk *c = q->spare;
    if (c)
        q->spare = c->next;
    else
        c = alloc_big(sizeof *c);
    c->next = NULL;
    if (b->tail) {
        b->tail->next = c;
    } else {
        b->head = c;
        b->rd = 0;
    }
    b->tail = c;
    b->wr = 0;
}

void hnb_evq_next_chunk(HnbEvq *q, HnbEvqBucket *b)
{
    HnbEvqChunk *h = b->head;
    b->head = h->next;
    chunk_put(q, h);
    b->rd = 0;
    if (!b->head) /* it was the tail, read to its end (wr == rd == CHUNK) */
        bucket_reset(b);
}

/* Reads a bucket's entries in order without changing it. */
typedef struct {
    const HnbEvqChunk *c;
    uint32_t i;
    size_t left;
} Cursor;

static Cursor cursor_of(const HnbEvqBucket *b)
{
    return (Cursor){b->head, b->rd, b->len};
}

static const HnbEvqEntry *cursor_next(Cursor *k)
{
    if (k->left == 0)
        return NULL;
    if (k->i == HNB_EVQ_CHUNK) {
        k->c = k->c->next;
        k->i = 0;
    }
    k->left--;
    return &k->c->e[k->i++];
}

/* The slot table is mapped apart and grows with mremap where there is one: moving its pages instead of copying them
 * means no moment with both the old and the new table resident (10M HNBs schedule their first events at once: a
 * copy would hold 2 x 200 MB) and no copy.  Its sizes are whole pages: SLOT_BATCH * 24 bytes, doubled. */
enum { SLOT_BATCH = 1024 };

#ifdef MREMAP_MAYMOVE
static HnbEvqSlot *slots_resize(HnbEvqSlot *old, size_t old_bytes, size_t bytes)
{
    void *p = old ? mremap(old, old_bytes, bytes, MREMAP_MAYMOVE)
                  : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        g_error("hnbsim: out of memory mapping %zu bytes for the event queue's slots", bytes);
#ifdef MADV_HUGEPAGE
    if (bytes >= (size_t)2 << 20)
        madvise(p, bytes, MADV_HUGEPAGE); /* advice only: read at random (see alloc_big) */
#endif
    return p;
}

static void slots_free(HnbEvqSlot *slots, size_t bytes)
{
    if (slots)
        munmap(slots, bytes);
}
#else
static HnbEvqSlot *slots_resize(HnbEvqSlot *old, size_t old_bytes, size_t bytes)
{
    HnbEvqSlot *p = alloc_big(bytes);
    if (old)
        memcpy(p, old, old_bytes);
    free(old);
    return p;
}

static void slots_free(HnbEvqSlot *slots, size_t bytes)
{
    (void)bytes;
    free(slots);
}
#endif

void hnb_evq_init(HnbEvq *q)
{
    memset(q, 0, sizeof *q);
    for (unsigned b = 0; b < HNB_EVQ_BUCKETS; b++)
        bucket_reset(&q->b[b]);
    q->free_head = UINT32_MAX;
    q->next_seq = 1; /* seq 0 with slot 0 would make key 0, which marks a free slot */
    q->ladder_above = HNB_EVQ_LADDER_ABOVE;
    q->ladder_below = HNB_EVQ_LADDER_BELOW;
    q->radix_above = HNB_EVQ_RADIX_ABOVE;
    q->radix_below = HNB_EVQ_RADIX_BELOW;
    hnb_ladder_init(&q->ladder);
}

void hnb_evq_clear(HnbEvq *q)
{
    for (unsigned b = 0; b < HNB_EVQ_BUCKETS; b++)
        bucket_drop(q, &q->b[b]);
    for (HnbEvqChunk *c = q->spare, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(q->heap);
    slots_free(q->slots, q->slots_cap * sizeof *q->slots);
    hnb_ladder_free(&q->ladder);
    size_t la = q->ladder_above, lb = q->ladder_below, ra = q->radix_above, rb = q->radix_below;
    hnb_evq_init(q);
    q->ladder_above = la;
    q->ladder_below = lb;
    q->radix_above = ra;
    q->radix_below = rb;
}

void hnb_evq_grow_heap(HnbEvq *q)
{
    size_t cap = q->cap ? q->cap * 2 : 1024;
    /* BASE spare entries in front keep every sibling group on one 64-byte line */
    HnbEvqEntry *h = alloc_big((cap + HNB_EVQ_BASE + 1) * sizeof(HnbEvqEntry));
    if (q->entries)
        memcpy(h + HNB_EVQ_BASE, q->heap + HNB_EVQ_BASE, q->entries * sizeof *h);
    free(q->heap);
    q->heap = h;
    q->cap = cap;
}

static gboolean entry_live(const HnbEvq *q, const HnbEvqEntry *e)
{
    return hnb_evq_slot_holds(&q->slots[e->key & HNB_EVQ_SLOT_MASK], e->key);
}

static int entry_cmp(const void *a, const void *b)
{
    unsigned __int128 x = hnb_evq_rank(a), y = hnb_evq_rank(b);
    return x < y ? -1 : x > y;
}

/* Every live entry out of the current structure into a new array (g_free it); the structure is left empty. */
static size_t take_live(HnbEvq *q, HnbEvqEntry **out)
{
    HnbEvqEntry *all;
    size_t n = 0;
    if (q->mode == HNB_EVQ_LADDER) {
        n = hnb_ladder_take_all(&q->ladder, &all);
    } else {
        all = g_new(HnbEvqEntry, q->entries + 1); /* + 1: never NULL */
        if (q->mode == HNB_EVQ_HEAP) {
            if (q->entries)
                memcpy(all, q->heap + HNB_EVQ_BASE, q->entries * sizeof *all);
            n = q->entries;
        } else {
            for (unsigned bi = 0; bi < HNB_EVQ_BUCKETS; bi++) {
                HnbEvqBucket *b = &q->b[bi];
                Cursor k = cursor_of(b);
                for (const HnbEvqEntry *e; (e = cursor_next(&k));)
                    all[n++] = *e;
                bucket_drop(q, b);
            }
            q->nonempty = 0;
        }
    }
    q->entries = 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (entry_live(q, &all[i]))
            all[m++] = all[i];
    *out = all;
    return m;
}

/* File n live entries (any order; sorted here where the structure needs it) into the empty structure `mode`. */
static void fill(HnbEvq *q, HnbEvqMode mode, HnbEvqEntry *e, size_t n)
{
    q->mode = mode;
    if (mode == HNB_EVQ_HEAP) {
        /* any order will do: the heap orders by (time, seq) */
        for (size_t i = 0; i < n; i++) {
            if (q->entries == q->cap)
                hnb_evq_grow_heap(q);
            hnb_evq_sift_up(q->heap, q->entries++, e[i]);
        }
    } else if (mode == HNB_EVQ_LADDER) {
        hnb_ladder_build(&q->ladder, e, n); /* the ladder sorts each bin when it is reached */
        q->entries = n;
    } else {
        /* in (time, seq) order, so the appends leave equal times in schedule order.  Every entry is >= last (the
         * latest minimum given out), which is <= the caller's clock. */
        qsort(e, n, sizeof *e, entry_cmp);
        for (size_t i = 0; i < n; i++)
            hnb_evq_append(q, hnb_evq_bucket_of(e[i].time, q->last), e[i]);
        q->entries = n;
    }
}

void hnb_evq_retarget(HnbEvq *q)
{
    HnbEvqEntry *e;
    size_t n = take_live(q, &e);
    fill(q, n > q->radix_above ? HNB_EVQ_RADIX : n > q->ladder_above ? HNB_EVQ_LADDER : HNB_EVQ_HEAP, e, n);
    g_free(e);
}

gboolean hnb_evq_refill(HnbEvq *q, HnbTime until)
{
    HnbEvqBucket *b0 = &q->b[0];
    if (b0->len > 0)
        return TRUE;
    if (b0->head) /* read up to wr in its one chunk: start that chunk again */
        b0->rd = b0->wr = 0;
    q->nonempty &= ~UINT64_C(1);
    if (q->nonempty == 0)
        return FALSE;
    unsigned k = (unsigned)__builtin_ctzll(q->nonempty);
    HnbEvqBucket *bk = &q->b[k];
    HnbTime m = bk->min;
    if (m > until)
        return FALSE; /* leave last alone: the caller's clock stops at until, and it may schedule from there */
    q->last = m;
    /* Every entry of bucket k shares last's bits above k-1 and differs from m below bit k-1 at most, so it lands in
     * a bucket < k: the loop never appends to the bucket it reads.  Each chunk goes back to the free list once read,
     * so the lower buckets' appends reuse it: the move needs one spare chunk per bucket at most, not a copy. */
    HnbEvqChunk *c = bk->head, *tail = bk->tail;
    uint32_t i = bk->rd, wr = bk->wr;
    bucket_reset(bk);
    q->nonempty &= ~(UINT64_C(1) << k);
    while (c) {
        uint32_t end = c == tail ? wr : HNB_EVQ_CHUNK;
        for (; i < end; i++)
            hnb_evq_append(q, hnb_evq_bucket_of(c->e[i].time, m), c->e[i]);
        HnbEvqChunk *next = c == tail ? NULL : c->next;
        chunk_put(q, c);
        c = next;
        i = 0;
    }
    return TRUE;
}

HnbTime hnb_evq_peek_time(const HnbEvq *q)
{
    if (q->mode == HNB_EVQ_HEAP)
        return q->entries ? q->heap[HNB_EVQ_BASE].time : HNB_TIME_NEVER;
    if (q->mode == HNB_EVQ_LADDER)
        return hnb_ladder_peek_time(&q->ladder);
    if (q->b[0].len > 0)
        return q->b[0].head->e[q->b[0].rd].time;
    /* Bucket 0 used up (its bit may still be set): the lowest other bucket's kept minimum is the minimum, since
     * each higher bucket differs from last first at a higher bit, so holds only later times. */
    uint64_t rest = q->nonempty & ~UINT64_C(1);
    return rest ? q->b[__builtin_ctzll(rest)].min : HNB_TIME_NEVER;
}

/* The free stack is empty: put the next untouched slots on it (up to SLOT_BATCH), growing the table by doubling when
 * every slot has been used.  Slots beyond nslots are never written, so the part of a large table that no event has
 * needed yet costs no memory (fresh pages); the table's memory is its peak of pending events. */
G_STATIC_ASSERT(SLOT_BATCH * sizeof(HnbEvqSlot) % 4096 == 0);

void hnb_evq_grow_slots(HnbEvq *q)
{
    if (q->nslots == q->slots_cap) {
        size_t old = q->slots_cap, cap = old ? old * 2 : SLOT_BATCH;
        if (cap > HNB_EVQ_SLOT_MASK + 1)
            cap = HNB_EVQ_SLOT_MASK + 1;
        if (cap == old)
            g_error("hnbsim: more than %" G_GUINT64_FORMAT " events pending at once",
                    (guint64)HNB_EVQ_SLOT_MASK + 1);
        q->slots = slots_resize(q->slots, old * sizeof *q->slots, cap * sizeof *q->slots);
        q->slots_cap = cap;
    }
    size_t from = q->nslots, to = MIN(q->slots_cap, from + SLOT_BATCH);
    /* pushed so that the lowest index is handed out first */
    for (size_t s = to; s-- > from;) {
        q->slots[s] = (HnbEvqSlot){.seq_kind = 0, .gen = 1, .next_free = q->free_head};
        q->free_head = (uint32_t)s;
    }
    q->nslots = to;
}

gboolean hnb_evq_cancel(HnbEvq *q, uint64_t id)
{
    uint32_t s = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (id == 0 || s >= q->nslots || q->slots[s].gen != gen || !hnb_evq_slot_live(&q->slots[s]))
        return FALSE;
    hnb_evq_release(q, s);
    q->live--;
    return TRUE;
}

void hnb_evq_renumber(HnbEvq *q)
{
    if (q->mode != HNB_EVQ_RADIX) {
        /* Live entries in (time, seq) order get seqs 1..n: relative order, and so the FIFO tie-break, is kept.
         * Filed back sorted: each heap insert stops at once, the ladder sorts per bin anyway. */
        HnbEvqEntry *e;
        HnbEvqMode mode = q->mode;
        size_t n = take_live(q, &e);
        qsort(e, n, sizeof *e, entry_cmp);
        for (size_t i = 0; i < n; i++) {
            uint32_t s = (uint32_t)(e[i].key & HNB_EVQ_SLOT_MASK);
            e[i].key = ((uint64_t)(i + 1) << HNB_EVQ_SLOT_BITS) | s;
            hnb_evq_slot_rekey(&q->slots[s], e[i].key);
        }
        q->next_seq = n + 1;
        fill(q, mode, e, n);
        g_free(e);
        return;
    }
    /* Drop stale entries and give the live ones seqs 1..n in bucket order.  Order in the queue is positional (see
     * the header), so new seqs need only be unique; bucket order keeps them increasing among equal times, which
     * hnb_evq_verify checks.  Runs once per 2^36 scheduled events. */
    uint64_t seq = 1;
    q->entries = 0;
    q->nonempty = 0;
    for (unsigned bi = 0; bi < HNB_EVQ_BUCKETS; bi++) {
        /* the live entries are appended to the bucket again, which sets its minimum (dropped entries may have held
         * it) and its bit; a chunk goes back to the free list once read, so the appends never overtake the reads */
        HnbEvqBucket *b = &q->b[bi];
        HnbEvqChunk *c = b->head, *tail = b->tail;
        uint32_t i = b->rd, wr = b->wr;
        bucket_reset(b);
        while (c) {
            uint32_t end = c == tail ? wr : HNB_EVQ_CHUNK;
            for (; i < end; i++) {
                HnbEvqEntry e = c->e[i];
                if (!entry_live(q, &e))
                    continue;
                uint32_t s = (uint32_t)(e.key & HNB_EVQ_SLOT_MASK);
                e.key = (seq++ << HNB_EVQ_SLOT_BITS) | s;
                hnb_evq_slot_rekey(&q->slots[s], e.key);
                hnb_evq_append(q, bi, e);
            }
            HnbEvqChunk *next = c == tail ? NULL : c->next;
            chunk_put(q, c);
            c = next;
            i = 0;
        }
        q->entries += b->len;
    }
    q->next_seq = seq;
}

/* Sorting a bucket's entries by (time, position) must leave equal times in increasing seq: the FIFO tie-break. */
typedef struct {
    HnbTime time;
    size_t pos;
    uint64_t seq;
} Placed;

static int placed_cmp(const void *a, const void *b)
{
    const Placed *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void verify_fifo(const HnbEvqBucket *b, unsigned bi)
{
    size_t n = b->len;
    if (n < 2)
        return;
    Placed *p = g_new(Placed, n);
    Cursor k = cursor_of(b);
    for (size_t i = 0; i < n; i++) {
        const HnbEvqEntry *e = cursor_next(&k);
        p[i] = (Placed){e->time, i, e->key >> HNB_EVQ_SLOT_BITS};
    }
    qsort(p, n, sizeof *p, placed_cmp);
    for (size_t i = 1; i < n; i++)
        if (p[i].time == p[i - 1].time && p[i].seq < p[i - 1].seq)
            g_error("evqueue: equal times out of schedule order in bucket %u", bi);
    g_free(p);
}

static void verify_entry(const HnbEvq *q, const HnbEvqEntry *e, size_t *live)
{
    uint32_t s = (uint32_t)(e->key & HNB_EVQ_SLOT_MASK);
    if (e->time < q->last)
        g_error("evqueue: entry at %" G_GINT64_FORMAT " ns before the last minimum %" G_GINT64_FORMAT, e->time,
                q->last);
    if (s >= q->nslots)
        g_error("evqueue: entry names slot %u beyond %zu", s, q->nslots);
    if ((e->key >> HNB_EVQ_SLOT_BITS) >= q->next_seq)
        g_error("evqueue: entry has a seq from the future");
    *live += entry_live(q, e);
}

typedef struct {
    const HnbEvq *q;
    size_t *live;
} VerifyCtx;

static void verify_ladder_entry(const HnbEvqEntry *e, void *data)
{
    const VerifyCtx *c = data;
    verify_entry(c->q, e, c->live);
}

void hnb_evq_verify(const HnbEvq *q)
{
    size_t live_in_queue = 0, free_count = 0, entries = 0;
    if (q->mode == HNB_EVQ_LADDER) {
        VerifyCtx ctx = {q, &live_in_queue};
        hnb_ladder_verify(&q->ladder, verify_ladder_entry, &ctx);
        entries = q->ladder.count;
        if (q->entries > q->radix_above)
            g_error("evqueue: %zu entries in the ladder, above the switch at %zu", q->entries, q->radix_above);
    }
    if (q->mode == HNB_EVQ_HEAP) {
        const HnbEvqEntry *h = q->heap + HNB_EVQ_BASE;
        for (size_t i = 0; i < q->entries; i++) {
            if (i > 0 && hnb_evq_rank(&h[i]) < hnb_evq_rank(&h[(i - 1) / 4]))
                g_error("evqueue: heap order broken at %zu", i);
            verify_entry(q, &h[i], &live_in_queue);
        }
        entries = q->entries;
        if (q->entries > q->ladder_above)
            g_error("evqueue: %zu entries in the heap, above the switch at %zu", q->entries, q->ladder_above);
    }
    for (unsigned bi = 0; bi < HNB_EVQ_BUCKETS; bi++) {
        const HnbEvqBucket *b = &q->b[bi];
        if (q->mode != HNB_EVQ_RADIX && b->len > 0)
            g_error("evqueue: heap mode but bucket %u holds entries", bi);
        /* bucket 0's bit may stay set after its last entry is popped (pop is one increment); refill clears it */
        if (bi > 0 ? ((q->nonempty >> bi) & 1) != (b->len > 0) : b->len > 0 && !(q->nonempty & 1))
            g_error("evqueue: bucket %u non-empty bit is wrong", bi);
        size_t held = 0; /* what the chunks hold from rd to wr */
        if (b->head) {
            if (b->rd >= HNB_EVQ_CHUNK || b->wr > HNB_EVQ_CHUNK || (b->head == b->tail && b->rd > b->wr))
                g_error("evqueue: bucket %u read or write position out of its chunk", bi);
            const HnbEvqChunk *c = b->head;
            held = HNB_EVQ_CHUNK - b->rd;
            for (; c != b->tail; c = c->next) {
                if (!c->next)
                    g_error("evqueue: bucket %u chunks do not reach its tail", bi);
                held += HNB_EVQ_CHUNK;
            }
            held -= HNB_EVQ_CHUNK - b->wr;
        } else if (b->tail || b->rd != HNB_EVQ_CHUNK || b->wr != HNB_EVQ_CHUNK) {
            g_error("evqueue: bucket %u has no head chunk but a tail or positions", bi);
        }
        if (held != b->len)
            g_error("evqueue: bucket %u counts %zu entries, its chunks hold %zu", bi, b->len, held);
        Cursor k = cursor_of(b);
        for (const HnbEvqEntry *e; (e = cursor_next(&k));) {
            if (hnb_evq_bucket_of(e->time, q->last) != bi)
                g_error("evqueue: entry at %" G_GINT64_FORMAT " ns in bucket %u (last %" G_GINT64_FORMAT ")",
                        e->time, bi, q->last);
            if (e->time < b->min)
                g_error("evqueue: bucket %u minimum is stale", bi);
            verify_entry(q, e, &live_in_queue);
            entries++;
        }
        verify_fifo(b, bi);
    }
    for (uint32_t s = q->free_head; s != UINT32_MAX; s = q->slots[s].next_free) {
        if (hnb_evq_slot_live(&q->slots[s]))
            g_error("evqueue: free slot %u holds a key", s);
        if (++free_count > q->nslots)
            g_error("evqueue: free list has a cycle");
    }
    if (entries != q->entries)
        g_error("evqueue: %zu entries found but %zu counted", entries, q->entries);
    if (live_in_queue != q->live)
        g_error("evqueue: %zu live entries in the queue but %zu counted", live_in_queue, q->live);
    if (free_count + q->live != q->nslots)
        g_error("evqueue: %zu free + %zu live != %zu slots", free_count, q->live, q->nslots);
}
