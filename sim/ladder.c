/* sim/ladder.c — the cold half of the ladder queue: refill, building, spreading far, verification (see ladder.h). */
#include "sim/ladder.h"

#include <stdlib.h>
#include <string.h>

void hnb_ladder_init(HnbLadder *l)
{
    memset(l, 0, sizeof *l);
    l->far_min = INT64_MAX;
}

void hnb_ladder_free(HnbLadder *l)
{
    for (size_t k = 0; k < l->nb; k++)
        g_free(l->bin[k].e);
    g_free(l->bin);
    g_free(l->bits);
    g_free(l->far.e);
    g_free(l->run);
    hnb_ladder_init(l);
}

void hnb_ladder_grow_bin(HnbLadderBin *b)
{
    b->cap = b->cap ? b->cap * 2 : 16;
    b->e = g_renew(HnbEvqEntry, b->e, b->cap);
}

static void reserve_run(HnbLadder *l, size_t n)
{
    if (n <= l->cap)
        return;
    size_t cap = l->cap ? l->cap : 64;
    while (cap < n)
        cap *= 2;
    l->run = g_renew(HnbEvqEntry, l->run, cap);
    l->cap = cap;
}

static int rank_cmp(const void *a, const void *b)
{
    unsigned __int128 x = hnb_evq_rank(a), y = hnb_evq_rank(b);
    return x < y ? -1 : x > y;
}

/* A bin is ~16 entries in no particular order: insertion sort beats qsort's call per compare there; a bin far over
 * the target (a burst at one time, or before a rebuild) goes to qsort. */
static void sort_entries(HnbEvqEntry *x, size_t n)
{
    if (n > 4 * HNB_LADDER_BIN_TARGET) {
        qsort(x, n, sizeof *x, rank_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        HnbEvqEntry v = x[i];
        unsigned __int128 r = hnb_evq_rank(&v);
        size_t j = i;
        for (; j > 0 && hnb_evq_rank(&x[j - 1]) > r; j--)
            x[j] = x[j - 1];
        x[j] = v;
    }
}

void hnb_ladder_insert_run(HnbLadder *l, HnbEvqEntry e)
{
    /* upper bound of e's rank in run[head, len): e goes after every entry that ranks before it */
    unsigned __int128 r = hnb_evq_rank(&e);
    size_t lo = l->head, hi = l->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (hnb_evq_rank(&l->run[mid]) < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (l->head > 0 && lo == l->head) {
        l->run[--l->head] = e; /* the new front: the slot before head is free */
        return;
    }
    reserve_run(l, l->len + 1);
    memmove(&l->run[lo + 1], &l->run[lo], (l->len - lo) * sizeof *l->run);
    l->run[lo] = e;
    l->len++;
}

size_t hnb_ladder_take_all(HnbLadder *l, HnbEvqEntry **out)
{
    size_t n = 0, total = l->count;
    HnbEvqEntry *all = g_new(HnbEvqEntry, total + 1); /* + 1: never NULL, so memcpy's arguments are valid */
    if (l->len > l->head)
        memcpy(all, l->run + l->head, (l->len - l->head) * sizeof *all);
    n += l->len - l->head;
    for (size_t k = 0; k < l->nb; k++) {
        if (l->bin[k].len)
            memcpy(all + n, l->bin[k].e, l->bin[k].len * sizeof *all);
        n += l->bin[k].len;
        l->bin[k].len = 0;
    }
    if (l->far.len)
        memcpy(all + n, l->far.e, l->far.len * sizeof *all);
    n += l->far.len;
    if (n != total)
        g_error("ladder: %zu entries found but %zu counted", n, total);
    if (l->bits)
        memset(l->bits, 0, l->nb / 64 * sizeof *l->bits);
    l->far.len = 0;
    l->far_min = INT64_MAX;
    l->head = l->len = 0;
    l->count = 0;
    *out = all;
    return n;
}

/* The k-th smallest of t[0..n) (k < n), reordering t: Hoare's selection, O(n) expected. */
static int64_t select_kth(int64_t *t, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t pivot = t[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (t[i] < pivot)
                i++;
            while (t[j] > pivot)
                j--;
            if (i <= j) {
                int64_t s = t[i];
                t[i] = t[j];
                t[j] = s;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return t[k];
    }
    return t[k];
}

/* The bin width: the earliest entries' spacing times the target, as a power of two.  The earliest, because that is
 * where the run is taken from next; a rebuild follows if the shape drifts. */
static unsigned choose_shift(const HnbEvqEntry *e, size_t n, int64_t lo)
{
    if (n < 2)
        return 20; /* ~1 ms; any width serves one entry */
    /* shift >= 1 keeps every bin index <= 2^62, so cur + nb and a + 1 never overflow */
    int64_t *t = g_new(int64_t, n);
    for (size_t i = 0; i < n; i++)
        t[i] = e[i].time;
    size_t k = n - 1 < 4 * HNB_LADDER_BIN_TARGET ? n - 1 : 4 * HNB_LADDER_BIN_TARGET;
    int64_t span = select_kth(t, n, k) - lo;
    if (span == 0) { /* a burst at one time: spread by the whole range instead */
        int64_t hi = lo;
        for (size_t i = 0; i < n; i++)
            hi = e[i].time > hi ? e[i].time : hi;
        span = hi - lo;
        k = n - 1;
    }
    g_free(t);
    uint64_t gap = (uint64_t)(span / (int64_t)k);
    uint64_t width = gap > (UINT64_MAX >> 6) ? UINT64_MAX : gap * HNB_LADDER_BIN_TARGET;
    unsigned shift = width <= 2 ? 1 : 64u - (unsigned)__builtin_clzll(width - 1); /* ceil(log2(width)) */
    return shift > 62 ? 62 : shift;
}

void hnb_ladder_build(HnbLadder *l, const HnbEvqEntry *e, size_t n)
{
    g_return_if_fail(l->count == 0);
    size_t nb = HNB_LADDER_MIN_BINS;
    while (nb < HNB_LADDER_WINDOW * n / HNB_LADDER_BIN_TARGET)
        nb *= 2;
    if (nb != l->nb) {
        for (size_t k = nb; k < l->nb; k++)
            g_free(l->bin[k].e);
        l->bin = g_renew(HnbLadderBin, l->bin, nb);
        for (size_t k = l->nb; k < nb; k++)
            l->bin[k] = (HnbLadderBin){NULL, 0, 0};
        l->bits = g_renew(uint64_t, l->bits, nb / 64);
        memset(l->bits, 0, nb / 64 * sizeof *l->bits);
        l->nb = nb;
    }
    int64_t lo = INT64_MAX; /* the earliest: where the first bin starts */
    for (size_t i = 0; i < n; i++)
        lo = e[i].time < lo ? e[i].time : lo;
    l->shift = choose_shift(e, n, lo);
    l->cur = n ? lo >> l->shift : 0;
    l->head = l->len = 0;
    l->far.len = 0;
    l->far_min = INT64_MAX;
    for (size_t i = 0; i < n; i++)
        hnb_ladder_insert(l, e[i]);
    l->built_count = n;
    l->ops = l->since_far = 0;
}

static void rebuild(HnbLadder *l)
{
    HnbEvqEntry *all;
    size_t n = hnb_ladder_take_all(l, &all);
    hnb_ladder_build(l, all, n);
    g_free(all);
}

/* Jump cur to far's first bin and file far's entries again: those now inside the window go to bins. */
static void spread_far(HnbLadder *l)
{
    HnbLadderBin f = l->far;
    l->cur = l->far_min;
    l->far = (HnbLadderBin){NULL, 0, 0};
    l->far_min = INT64_MAX;
    l->count -= f.len; /* insert counts them again */
    for (size_t i = 0; i < f.len; i++)
        hnb_ladder_insert(l, f.e[i]);
    /* reuse the larger array for far */
    if (f.cap > l->far.cap) {
        HnbLadderBin g = l->far;
        f.len = g.len;
        if (g.len)
            memcpy(f.e, g.e, g.len * sizeof *g.e);
        g_free(g.e);
        l->far = f;
    } else {
        g_free(f.e);
    }
    l->since_far = 0;
    l->spreads++;
}

/* The first non-empty bin with index in [from, limit), or -1 (limit - from <= nb). */
static int64_t next_bin(const HnbLadder *l, int64_t from, int64_t limit)
{
    uint64_t off = 0, n = (uint64_t)(limit - from);
    while (off < n) {
        size_t k = ((size_t)from + off) & (l->nb - 1);
        uint64_t w = l->bits[k >> 6] >> (k & 63);
        if (w) {
            off += (uint64_t)__builtin_ctzll(w);
            return off < n ? from + (int64_t)off : -1;
        }
        off += 64 - (k & 63);
    }
    return -1;
}

gboolean hnb_ladder_refill(HnbLadder *l)
{
    l->head = l->len = 0;
    for (;;) {
        if (l->count == 0)
            return FALSE;
        /* rebuild when the size has drifted by 2x since the width was chosen */
        if (l->ops >= l->built_count && (l->count > 2 * l->built_count || 2 * l->count < l->built_count)) {
            l->rebuilds[0]++;
            rebuild(l);
            continue;
        }
        int64_t limit = l->cur + (int64_t)l->nb;
        limit = l->far_min < limit ? l->far_min : limit;
        int64_t a = next_bin(l, l->cur, limit);
        if (a < 0) {
            /* many entries spread for few taken: the window is too narrow for the distribution */
            if (l->far.len > 2 * l->since_far + HNB_LADDER_BIN_TARGET && l->ops >= l->built_count) {
                l->rebuilds[1]++;
                rebuild(l);
                continue;
            }
            spread_far(l);
            continue;
        }
        size_t k = (size_t)a & (l->nb - 1);
        HnbLadderBin *b = &l->bin[k];
        /* A bin far too full: the bins are too wide here, and the rebuild estimates the width from this bin, the
         * earliest.  Affordable when a quarter of the entries are in it (the rebuild costs no more than sorting
         * them); never twice with nothing taken in between (no loop); a burst at one time would not be helped
         * (ends that differ is a cheap test for that). */
        if (b->len > 16 * HNB_LADDER_BIN_TARGET && l->ops > 0 && (l->ops >= l->built_count || 4 * b->len >= l->count) &&
            b->e[0].time >> 6 != b->e[b->len - 1].time >> 6) {
            l->rebuilds[2]++;
            rebuild(l);
            continue;
        }
        reserve_run(l, b->len);
        memcpy(l->run, b->e, b->len * sizeof *b->e);
        l->len = b->len;
        b->len = 0;
        l->bits[k >> 6] &= ~(UINT64_C(1) << (k & 63));
        l->cur = a + 1;
        sort_entries(l->run, l->len);
        return TRUE;
    }
}

static int64_t min_time(const HnbLadderBin *b, int64_t lo)
{
    for (size_t i = 0; i < b->len; i++)
        lo = b->e[i].time < lo ? b->e[i].time : lo;
    return lo;
}

int64_t hnb_ladder_peek_time(const HnbLadder *l)
{
    if (l->head < l->len)
        return l->run[l->head].time; /* the run holds every entry before cur, sorted */
    if (l->count == 0)
        return INT64_MAX;
    /* What hnb_ladder_refill() would make the run: the first filled bin before far_min; every later bin and far's
     * entries lie in later bins, so its minimum is the minimum. */
    int64_t limit = l->cur + (int64_t)l->nb;
    limit = l->far_min < limit ? l->far_min : limit;
    int64_t a = next_bin(l, l->cur, limit);
    if (a >= 0)
        return min_time(&l->bin[(size_t)a & (l->nb - 1)], INT64_MAX);
    /* None: the minimum is in far or in bin far_min (filed there after cur moved); later bins come after both. */
    int64_t m = min_time(&l->far, INT64_MAX);
    if (l->far_min < l->cur + (int64_t)l->nb)
        m = min_time(&l->bin[(size_t)l->far_min & (l->nb - 1)], m);
    return m;
}

void hnb_ladder_verify(const HnbLadder *l, void (*fn)(const HnbEvqEntry *e, void *data), void *data)
{
    size_t n = 0;
    for (size_t i = l->head; i < l->len; i++, n++) {
        if (i > l->head && hnb_evq_rank(&l->run[i]) < hnb_evq_rank(&l->run[i - 1]))
            g_error("ladder: run out of order at %zu", i);
        if (l->run[i].time >> l->shift >= l->cur)
            g_error("ladder: run entry at %" G_GINT64_FORMAT " ns is not before bin %" G_GINT64_FORMAT,
                    l->run[i].time, l->cur);
        fn(&l->run[i], data);
    }
    for (size_t k = 0; k < l->nb; k++) {
        const HnbLadderBin *b = &l->bin[k];
        if (((l->bits[k >> 6] >> (k & 63)) & 1) != (b->len > 0))
            g_error("ladder: bin %zu non-empty bit is wrong", k);
        for (size_t i = 0; i < b->len; i++, n++) {
            int64_t a = b->e[i].time >> l->shift;
            if (a < l->cur || a - l->cur >= (int64_t)l->nb || ((size_t)a & (l->nb - 1)) != k)
                g_error("ladder: entry at %" G_GINT64_FORMAT " ns in bin %zu (cur %" G_GINT64_FORMAT ")",
                        b->e[i].time, k, l->cur);
            fn(&b->e[i], data);
        }
    }
    int64_t fmin = INT64_MAX;
    for (size_t i = 0; i < l->far.len; i++, n++) {
        int64_t a = l->far.e[i].time >> l->shift;
        if (a < l->cur)
            g_error("ladder: far entry at %" G_GINT64_FORMAT " ns is before cur", l->far.e[i].time);
        fmin = a < fmin ? a : fmin;
        fn(&l->far.e[i], data);
    }
    if (fmin != l->far_min)
        g_error("ladder: far minimum is stale");
    if (n != l->count)
        g_error("ladder: %zu entries found but %zu counted", n, l->count);
}
