/* sim/evqueue.c — the cold half of the pending-event set: growth, cancel, renumbering, verification.
 * The hot half (push, pop, sift) is inline in evqueue.h so the run loop compiles into one tight function. */
#include "evqueue.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Large arrays: 2 MiB-aligned and marked for transparent huge pages.  A sift-down through a heap of a million events
 * touches one random cache line per level; with 4 KiB pages nearly every one is also a TLB miss, with 2 MiB pages few
 * are (measured with `hnbsim bench kernel --pending 1000000`). */
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

void hnb_evq_init(HnbEvq *q)
{
    memset(q, 0, sizeof *q);
    q->free_head = UINT32_MAX;
    q->next_seq = 1; /* seq 0 with slot 0 would make key 0, which marks a free slot */
}

void hnb_evq_clear(HnbEvq *q)
{
    free(q->heap);
    free(q->slots);
    hnb_evq_init(q);
}

void hnb_evq_grow_heap(HnbEvq *q)
{
    size_t cap = q->cap ? q->cap * 2 : 1024;
    /* BASE spare entries in front keep every sibling group on one 64-byte line */
    HnbEvqEntry *h = alloc_big((cap + HNB_EVQ_BASE + 1) * sizeof(HnbEvqEntry));
    if (q->n)
        memcpy(h + HNB_EVQ_BASE, q->heap + HNB_EVQ_BASE, q->n * sizeof *h);
    free(q->heap);
    q->heap = h;
    q->cap = cap;
}

void hnb_evq_grow_slots(HnbEvq *q)
{
    size_t old = q->slots_cap, cap = old ? old * 2 : 1024;
    if (cap > HNB_EVQ_SLOT_MASK + 1)
        cap = HNB_EVQ_SLOT_MASK + 1;
    if (cap == old)
        g_error("hnbsim: more than %" G_GUINT64_FORMAT " events pending at once", (guint64)HNB_EVQ_SLOT_MASK + 1);
    HnbEvqSlot *slots = alloc_big(cap * sizeof *slots);
    if (old)
        memcpy(slots, q->slots, old * sizeof *slots);
    free(q->slots);
    q->slots = slots;
    /* push the new slots on the free stack so the lowest index is handed out first */
    for (size_t s = cap; s-- > old;) {
        q->slots[s] = (HnbEvqSlot){.key = 0, .gen = 1, .next_free = q->free_head};
        q->free_head = (uint32_t)s;
    }
    q->slots_cap = cap;
}

gboolean hnb_evq_cancel(HnbEvq *q, uint64_t id)
{
    uint32_t s = (uint32_t)id, gen = (uint32_t)(id >> 32);
    if (id == 0 || s >= q->slots_cap || q->slots[s].gen != gen || q->slots[s].key == 0)
        return FALSE;
    hnb_evq_release(q, s);
    q->live--;
    return TRUE;
}

static int entry_cmp(const void *a, const void *b)
{
    return hnb_evq_less(a, b) ? -1 : hnb_evq_less(b, a) ? 1 : 0;
}

void hnb_evq_renumber(HnbEvq *q)
{
    /* Keep live entries only, in (time, seq) order, and give them seqs 1..n: relative order, and so the FIFO
     * tie-break, is unchanged; a sorted array is a valid heap.  Runs once per 2^36 scheduled events. */
    HnbEvqEntry *h = q->heap + HNB_EVQ_BASE;
    size_t m = 0;
    for (size_t i = 0; i < q->n; i++) {
        uint32_t s = (uint32_t)(h[i].key & HNB_EVQ_SLOT_MASK);
        if (q->slots[s].key == h[i].key)
            h[m++] = h[i];
    }
    qsort(h, m, sizeof *h, entry_cmp);
    for (size_t i = 0; i < m; i++) {
        uint32_t s = (uint32_t)(h[i].key & HNB_EVQ_SLOT_MASK);
        h[i].key = ((uint64_t)(i + 1) << HNB_EVQ_SLOT_BITS) | s;
        q->slots[s].key = h[i].key;
    }
    q->n = m;
    q->next_seq = m + 1;
}

void hnb_evq_verify(const HnbEvq *q)
{
    const HnbEvqEntry *h = q->heap + HNB_EVQ_BASE;
    size_t live_in_heap = 0, free_count = 0;
    for (size_t i = 1; i < q->n; i++)
        if (hnb_evq_less(&h[i], &h[(i - 1) / 4]))
            g_error("evqueue: heap order broken at %zu", i);
    for (size_t i = 0; i < q->n; i++) {
        uint32_t s = (uint32_t)(h[i].key & HNB_EVQ_SLOT_MASK);
        if (s >= q->slots_cap)
            g_error("evqueue: entry %zu names slot %u beyond %zu", i, s, q->slots_cap);
        if (q->slots[s].key == h[i].key)
            live_in_heap++;
        if ((h[i].key >> HNB_EVQ_SLOT_BITS) >= q->next_seq)
            g_error("evqueue: entry %zu has a seq from the future", i);
    }
    for (uint32_t s = q->free_head; s != UINT32_MAX; s = q->slots[s].next_free) {
        if (q->slots[s].key != 0)
            g_error("evqueue: free slot %u holds a key", s);
        if (++free_count > q->slots_cap)
            g_error("evqueue: free list has a cycle");
    }
    if (live_in_heap != q->live)
        g_error("evqueue: %zu live entries in the heap but %zu counted", live_in_heap, q->live);
    if (free_count + q->live != q->slots_cap)
        g_error("evqueue: %zu free + %zu live != %zu slots", free_count, q->live, q->slots_cap);
}
