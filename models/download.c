/* models/download.c — max-min fair sharing of the image server's bandwidth, exact and event-driven.
 *
 * The water level θ is the rate of every download not held back by its own cap: θ solves Σ min(cap_i, θ) = B, or
 * θ = ∞ when Σ cap_i <= B.  A download with cap <= θ runs at its cap, the others at θ.
 *
 * Classes.  Downloads with the same cap (bit-identical double) form a class; a class is either capped (group C,
 * cap <= θ: every member at the cap) or uncapped (group U, cap >= θ: every member at θ) as a whole.  Each class has a
 * local clock L that counts the bytes one member has received since the clock's origin; a member that joined with
 * `bytes` when the clock read L_j finishes when L reaches VF = L_j + bytes, a fixed key.  So the class keeps its
 * members in a min-heap by VF, and only the clock moves:
 *   C class:  L(t) = L0 + cap · (t - t0).  Its next completion is a fixed real time (ns): key of the C finish heap.
 *   U class:  L(t) = W(t) + off, where W is one virtual clock shared by U, dW/dt = θ.  Its next completion is a
 *             fixed value of W, VF_min - off: key of the U finish heap.
 * Moving a class between groups re-expresses its clock (L0/t0 <-> off) and moves one heap entry: O(log n) whatever
 * the class size, so a constant access-link cap costs no more than distinct caps when the active count crosses B/cap
 * back and forth (with one download per class, a whole block of equal caps would move one by one at each crossing).
 *
 * Each group also keeps its classes ordered by cap at the end facing the other group: U a min-heap, C a max-heap.
 * After a start/finish/cancel, `settle` restores max cap(C) <= θ <= min cap(U) by moving violating classes one at a
 * time.  Why it converges: for any split, θ_p = (B - S_C) / n_U (S_C the sum of the caps of C's members, n_U the
 * number of U's) is a lower bound of the true θ, as Σ min(cap_i, θ_p) <= S_C + n_U θ_p = B; each move of a violator
 * raises θ_p strictly, so no split repeats.  In the common case (a burst of starts lowers θ step by step, a run of
 * completions raises it) a class crosses at most once per change of direction: the amortised cost per operation is
 * O(log n) plus the classes whose cap lies between the old and the new θ — O(1) expected for caps from a continuous
 * distribution, and one class for a constant cap.
 *
 * Floating point.  S_C, W and the delivered total are double-doubles (hi + lo, Knuth's TwoSum; products by fma), so
 * 1e6 additions and removals do not drift.  θ_p is rounded, so the move tests carry a relative margin TIE (1e-13, far
 * above the ~4e-16 rounding of θ_p): a class within TIE of θ stays where it is (its rate is off by < 1e-13 relative)
 * and no class can be moved back and forth by rounding.  Clocks are rebased to 0 when they pass 2^32 bytes (O(class
 * size), or O(n_U) for W; rare), so the VF keys keep an absolute precision near 1e-6 bytes.  Remaining bytes are
 * clamped at 0 wherever they are reported; completion times are rounded up to whole ns, and a download with <= 1e-6
 * bytes left is complete now.
 *
 * Accounting: `delivered` integrates the aggregate rate (S_C + n_U θ) over time; the < 1 ns of overshoot of a
 * completed download (the ceil) is subtracted when it leaves, so delivered = Σ sizes of finished downloads + bytes
 * received by active and cancelled ones.
 *
 * Layout: heaps are flat arrays of {key, id, slot} (16 bytes; keys are ns, or doubles mapped to order-preserving
 * int64); ties break by id, so equal-time completions come out in id order.  Downloads and classes live in slot
 * arrays with free lists; a released class keeps its member array for reuse.  ids and caps map to slots through
 * open-addressing tables.  Nothing is allocated per operation except by doubling.
 */
#include "models/download.h"

#include <math.h>
#include <string.h>

#define TIE 1e-13             /* relative margin of the class-move tests (see above) */
#define DONE_BYTES 1e-6       /* a download with this little left is complete */
#define REBASE 4294967296.0   /* 2^32 bytes: clocks past this are rebased to 0 */
#define NS_PER_S 1e9
#define NONE UINT32_MAX

#if defined(__GNUC__)
#define COLD __attribute__((noinline, cold)) /* growth by doubling, rebasing: off the hot path */
#else
#define COLD
#endif

enum { GROUP_C = 0, GROUP_U = 1 };
enum { FIN = 0, CAP = 1 };
typedef enum { K_MEMBER, K_FIN, K_CAP } HeapKind; /* which position field a heap maintains */

typedef struct {
    int64_t key;
    uint32_t id;   /* the download's id; for a class entry, that of its first member to finish */
    uint32_t slot; /* a download (member heaps) or a class (group heaps) */
} Entry;

typedef struct {
    Entry *a;
    uint32_t n, cap;
} Heap;

typedef struct {
    double size; /* bytes */
    double vf;   /* finish value of its class clock */
    uint32_t id;
    uint32_t cls;  /* its class; next free slot when free */
    uint32_t pos;  /* index in the class's member heap */
} Dl;

typedef struct {
    double cap;      /* bytes/s, may be INFINITY */
    double clk;      /* C: L0, the clock at t0; U: off, L - W */
    HnbTime t0;      /* C only */
    Heap m;          /* members by VF; kept (emptied) when the class is released */
    uint32_t pos[2]; /* index in the FIN and CAP heaps of its group */
    uint32_t next_free;
    uint8_t group;
} Cls;

typedef struct {
    double hi, lo;
} DD; /* double-double: value hi + lo, |lo| <= ulp(hi)/2 */

typedef struct {
    uint64_t *key;
    uint32_t *val; /* NONE marks an empty cell */
    uint32_t mask, used;
} Map;

struct HnbDownloads {
    double bw; /* bytes/s */
    double bw_bps;
    HnbTime last; /* time the state was advanced to */
    double theta; /* current water level, bytes/s; INFINITY when U is empty */
    DD s_c;       /* Σ cap over C's members */
    uint64_t n_u; /* U's members */
    DD w;         /* U's shared virtual clock */
    DD delivered;
    Heap fin[2], cap[2]; /* per group: classes by next finish, by cap (C: a max-heap, keys negated) */
    Dl *dl;
    uint32_t n_dl, cap_dl, free_dl;
    Cls *cls;
    uint32_t n_cls, cap_cls, free_cls;
    Map ids, caps; /* id -> download slot, cap bits -> class slot */
    size_t active;
};

/* ---- double-double ---- */

static DD dd_add(DD a, double b)
{
    double s = a.hi + b;
    double bb = s - a.hi;
    double err = (a.hi - (s - bb)) + (b - bb); /* TwoSum: a.hi + b == s + err exactly */
    err += a.lo;
    DD r;
    r.hi = s + err;
    r.lo = err - (r.hi - s);
    return r;
}

static DD dd_add_prod(DD a, double x, double y) /* a + x·y, the product exact by fma */
{
    double p = x * y;
    return dd_add(dd_add(a, p), fma(x, y, -p));
}

static double dd_val(DD a) { return a.hi + a.lo; }

/* Order-preserving map of a (non-NaN) double onto int64. */
static int64_t dkey(double x)
{
    int64_t b;
    x += 0.0; /* -0.0 -> +0.0 */
    memcpy(&b, &x, sizeof b);
    return b < 0 ? b ^ INT64_MAX : b;
}

/* ---- indexed binary heap ---- */

static inline gboolean less(const Entry *x, const Entry *y)
{
    return x->key < y->key || (x->key == y->key && x->id < y->id);
}

static inline void place(HnbDownloads *d, Heap *h, HeapKind kind, uint32_t i, Entry e)
{
    h->a[i] = e;
    if (kind == K_MEMBER)
        d->dl[e.slot].pos = i;
    else
        d->cls[e.slot].pos[kind == K_FIN ? FIN : CAP] = i;
}

static void sift_up(HnbDownloads *d, Heap *h, HeapKind kind, uint32_t i)
{
    Entry e = h->a[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!less(&e, &h->a[p]))
            break;
        place(d, h, kind, i, h->a[p]);
        i = p;
    }
    place(d, h, kind, i, e);
}

static void sift_down(HnbDownloads *d, Heap *h, HeapKind kind, uint32_t i)
{
    Entry e = h->a[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && less(&h->a[c + 1], &h->a[c]))
            c++;
        if (!less(&h->a[c], &e))
            break;
        place(d, h, kind, i, h->a[c]);
        i = c;
    }
    place(d, h, kind, i, e);
}

static COLD void heap_grow(Heap *h)
{
    h->cap = h->cap ? 2 * h->cap : 4;
    h->a = g_renew(Entry, h->a, h->cap);
}

static void heap_push(HnbDownloads *d, Heap *h, HeapKind kind, Entry e)
{
    if (h->n == h->cap)
        heap_grow(h);
    h->a[h->n] = e;
    sift_up(d, h, kind, h->n++);
}

/* Replace entry i (a changed key, or the last entry moved into a hole) and restore the order. */
static void heap_set(HnbDownloads *d, Heap *h, HeapKind kind, uint32_t i, Entry e)
{
    Entry old = h->a[i];
    h->a[i] = e;
    if (less(&e, &old))
        sift_up(d, h, kind, i);
    else
        sift_down(d, h, kind, i);
}

static void heap_remove(HnbDownloads *d, Heap *h, HeapKind kind, uint32_t i)
{
    g_assert(i < h->n);
    h->n--;
    if (i < h->n)
        heap_set(d, h, kind, i, h->a[h->n]);
}

static void heap_rebuild(HnbDownloads *d, Heap *h, HeapKind kind)
{
    for (uint32_t i = 0; i < h->n; i++)
        place(d, h, kind, i, h->a[i]);
    for (uint32_t i = h->n / 2; i-- > 0;)
        sift_down(d, h, kind, i);
}

/* ---- open-addressing map, uint64 -> slot ---- */

static inline uint32_t map_home(const Map *m, uint64_t key)
{
    return (uint32_t)((key * 0x9E3779B97F4A7C15u) >> 32) & m->mask;
}

static uint32_t map_find(const Map *m, uint64_t key) /* cell index, or NONE */
{
    for (uint32_t i = map_home(m, key);; i = (i + 1) & m->mask) {
        if (m->val[i] == NONE)
            return NONE;
        if (m->key[i] == key)
            return i;
    }
}

static uint32_t map_get(const Map *m, uint64_t key)
{
    uint32_t i = map_find(m, key);
    return i == NONE ? NONE : m->val[i];
}

static void map_put_raw(Map *m, uint64_t key, uint32_t val)
{
    uint32_t i = map_home(m, key);
    while (m->val[i] != NONE)
        i = (i + 1) & m->mask;
    m->key[i] = key;
    m->val[i] = val;
}

static COLD void map_resize(Map *m, uint32_t size)
{
    uint64_t *old_key = m->key;
    uint32_t *old_val = m->val, old_size = m->val ? m->mask + 1 : 0;
    m->key = g_new(uint64_t, size);
    m->val = g_new(uint32_t, size);
    memset(m->val, 0xff, size * sizeof *m->val);
    m->mask = size - 1;
    for (uint32_t i = 0; i < old_size; i++)
        if (old_val[i] != NONE)
            map_put_raw(m, old_key[i], old_val[i]);
    g_free(old_key);
    g_free(old_val);
}

static void map_insert(Map *m, uint64_t key, uint32_t val)
{
    if (2 * (m->used + 1) > m->mask + 1) /* load <= 1/2 */
        map_resize(m, 2 * (m->mask + 1));
    map_put_raw(m, key, val);
    m->used++;
}

static void map_delete(Map *m, uint32_t i) /* backward-shift deletion: no tombstones */
{
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (m->val[j] == NONE)
            break;
        uint32_t h = map_home(m, m->key[j]);
        /* leave j where it is if its home h lies cyclically in (i, j] */
        if ((i <= j) ? (i < h && h <= j) : (i < h || h <= j))
            continue;
        m->key[i] = m->key[j];
        m->val[i] = m->val[j];
        i = j;
    }
    m->val[i] = NONE;
    m->used--;
}

static uint64_t cap_bits(double cap)
{
    uint64_t b;
    memcpy(&b, &cap, sizeof b);
    return b;
}

/* ---- clocks ---- */

/* A member's remaining bytes at d->last, unclamped (slightly negative just after its completion). */
static double raw_remaining(const HnbDownloads *d, const Dl *x)
{
    const Cls *k = &d->cls[x->cls];
    if (k->group == GROUP_C)
        return (x->vf - k->clk) - k->cap * ((double)(d->last - k->t0) / NS_PER_S);
    return ((x->vf - k->clk) - d->w.hi) - d->w.lo;
}

static double clock_of(const HnbDownloads *d, const Cls *k)
{
    if (k->group == GROUP_C)
        return k->clk + k->cap * ((double)(d->last - k->t0) / NS_PER_S);
    return d->w.hi + (d->w.lo + k->clk);
}

/* The class's entry in its group's finish heap: C the real time of its first completion, U the value of W then. */
static Entry class_entry(const HnbDownloads *d, uint32_t slot)
{
    const Cls *k = &d->cls[slot];
    const Dl *x = &d->dl[k->m.a[0].slot];
    Entry e = {0, x->id, slot};
    if (k->group == GROUP_C) {
        double r0 = x->vf - k->clk; /* remaining at t0 */
        double ns = r0 <= DONE_BYTES ? 0 : ceil(r0 / k->cap * NS_PER_S);
        e.key = ns >= (double)(HNB_TIME_NEVER - k->t0) ? HNB_TIME_NEVER : k->t0 + (HnbTime)ns;
    } else {
        e.key = dkey(x->vf - k->clk);
    }
    return e;
}

static void class_rekey(HnbDownloads *d, uint32_t slot)
{
    Cls *k = &d->cls[slot];
    heap_set(d, &d->fin[k->group], K_FIN, k->pos[FIN], class_entry(d, slot));
}

/* Shift the class clock's origin to now (members' VF by -L): keeps |VF| small.  O(class size). */
static COLD void class_rebase(HnbDownloads *d, uint32_t slot, double l)
{
    Cls *k = &d->cls[slot];
    for (uint32_t i = 0; i < k->m.n; i++) {
        Entry *e = &k->m.a[i];
        d->dl[e->slot].vf -= l;
        e->key = dkey(d->dl[e->slot].vf);
    }
    heap_rebuild(d, &k->m, K_MEMBER); /* rounding may have made keys equal: ties go by id again */
    if (k->group == GROUP_C) {
        k->clk = 0;
        k->t0 = d->last;
    } else {
        k->clk -= l; /* W + off is now ~0 */
    }
}

/* W past REBASE: move every U class's origin to now, then W to 0.  O(n_U). */
static COLD void rebase_w(HnbDownloads *d)
{
    Heap *h = &d->fin[GROUP_U];
    for (uint32_t i = 0; i < h->n; i++) {
        uint32_t s = h->a[i].slot;
        class_rebase(d, s, clock_of(d, &d->cls[s]));
        d->cls[s].clk = 0;
    }
    d->w = (DD){0, 0};
    for (uint32_t i = 0; i < h->n; i++)
        h->a[i] = class_entry(d, h->a[i].slot);
    heap_rebuild(d, h, K_FIN);
}

/* Advance W and the delivered total to now under the current rates (C's clocks run on real time). */
static void advance(HnbDownloads *d, HnbTime now)
{
    if (now == d->last)
        return;
    double dt = (double)(now - d->last) / NS_PER_S;
    double agg = dd_val(d->s_c);
    if (d->n_u > 0) {
        d->w = dd_add(d->w, d->theta * dt);
        agg += (double)d->n_u * d->theta;
    }
    d->delivered = dd_add(d->delivered, agg * dt);
    d->last = now;
    if (d->w.hi > REBASE)
        rebase_w(d);
}

/* ---- classes and groups ---- */

static void group_add(HnbDownloads *d, uint32_t slot, int g)
{
    Cls *k = &d->cls[slot];
    k->group = (uint8_t)g;
    if (g == GROUP_C)
        d->s_c = dd_add_prod(d->s_c, (double)k->m.n, k->cap);
    else
        d->n_u += k->m.n;
    if (k->m.n > 0)
        heap_push(d, &d->fin[g], K_FIN, class_entry(d, slot));
    heap_push(d, &d->cap[g], K_CAP, (Entry){g == GROUP_C ? -dkey(k->cap) : dkey(k->cap), 0, slot});
}

static void group_remove(HnbDownloads *d, uint32_t slot)
{
    Cls *k = &d->cls[slot];
    int g = k->group;
    if (k->m.n > 0)
        heap_remove(d, &d->fin[g], K_FIN, k->pos[FIN]);
    heap_remove(d, &d->cap[g], K_CAP, k->pos[CAP]);
    if (g == GROUP_C)
        d->s_c = d->cap[GROUP_C].n ? dd_add_prod(d->s_c, -(double)k->m.n, k->cap) : (DD){0, 0};
    else
        d->n_u -= k->m.n;
}

/* Move a class to the other group at d->last: its clock keeps its value, expressed the other group's way. */
static void class_move(HnbDownloads *d, uint32_t slot)
{
    Cls *k = &d->cls[slot];
    double l = clock_of(d, k);
    int to = k->group == GROUP_C ? GROUP_U : GROUP_C;
    group_remove(d, slot);
    if (to == GROUP_U) {
        if (d->n_u == 0)
            d->w = (DD){0, 0}; /* U empty: rebase W for free */
        k->clk = (l - d->w.hi) - d->w.lo;
    } else {
        k->clk = l;
        k->t0 = d->last;
    }
    k->group = (uint8_t)to;
    if (fabs(l) > REBASE)
        class_rebase(d, slot, l);
    group_add(d, slot, to);
}

static uint32_t class_get(HnbDownloads *d, double cap)
{
    uint32_t s = map_get(&d->caps, cap_bits(cap));
    if (s != NONE)
        return s;
    if (d->free_cls != NONE) {
        s = d->free_cls;
        d->free_cls = d->cls[s].next_free;
    } else {
        if (d->n_cls == d->cap_cls) {
            d->cap_cls = d->cap_cls ? 2 * d->cap_cls : 64;
            d->cls = g_renew(Cls, d->cls, d->cap_cls);
        }
        s = d->n_cls++;
        d->cls[s].m = (Heap){NULL, 0, 0};
    }
    Cls *k = &d->cls[s];
    k->cap = cap;
    k->t0 = d->last;
    k->group = cap < d->theta * (1 - TIE) ? GROUP_C : GROUP_U; /* the side θ suggests; settle fixes the rest */
    if (k->group == GROUP_U && d->n_u == 0)
        d->w = (DD){0, 0};
    k->clk = k->group == GROUP_C ? 0 : -(d->w.hi + d->w.lo); /* L = 0 now */
    map_insert(&d->caps, cap_bits(cap), s);
    group_add(d, s, k->group);
    return s;
}

static void class_release(HnbDownloads *d, uint32_t slot)
{
    group_remove(d, slot);
    map_delete(&d->caps, map_find(&d->caps, cap_bits(d->cls[slot].cap)));
    d->cls[slot].next_free = d->free_cls;
    d->free_cls = slot;
}

/* Restore max cap(C) <= θ <= min cap(U) (within TIE) by moving classes; see the file comment. */
static void settle(HnbDownloads *d)
{
    for (;;) {
        /* B - S_C exactly as a double-double, then one rounding in the division */
        double f = dd_val(dd_add(dd_add((DD){d->bw, 0}, -d->s_c.hi), -d->s_c.lo));
        double th = d->n_u > 0 ? f / (double)d->n_u : f >= 0 ? INFINITY : -INFINITY;
        if (d->cap[GROUP_U].n > 0) {
            uint32_t s = d->cap[GROUP_U].a[0].slot;
            if (d->cls[s].cap < th * (1 - TIE)) {
                class_move(d, s);
                continue;
            }
        }
        if (d->cap[GROUP_C].n > 0) {
            uint32_t s = d->cap[GROUP_C].a[0].slot;
            if (d->cls[s].cap > th * (1 + TIE) || th == -INFINITY) {
                class_move(d, s);
                continue;
            }
        }
        d->theta = th;
        return;
    }
}

/* ---- members ---- */

static void member_add(HnbDownloads *d, uint32_t cslot, uint32_t x_slot)
{
    Cls *k = &d->cls[cslot];
    Dl *x = &d->dl[x_slot];
    double l = clock_of(d, k);
    if (fabs(l) > REBASE) {
        class_rebase(d, cslot, l);
        if (k->m.n > 0)
            class_rekey(d, cslot);
        l = clock_of(d, k);
    }
    x->cls = cslot;
    x->vf = l + x->size;
    gboolean was_empty = k->m.n == 0;
    heap_push(d, &k->m, K_MEMBER, (Entry){dkey(x->vf), x->id, x_slot});
    if (k->group == GROUP_C)
        d->s_c = dd_add(d->s_c, k->cap);
    else
        d->n_u++;
    if (was_empty)
        heap_push(d, &d->fin[k->group], K_FIN, class_entry(d, cslot));
    else if (x->pos == 0)
        class_rekey(d, cslot);
}

/* Take a download out of its class (releasing the class if it empties); returns its remaining bytes, unclamped.
 * An overshoot (< 0) is taken off `delivered`: those bytes were counted in the aggregate but never belonged to it. */
static double member_remove(HnbDownloads *d, uint32_t x_slot)
{
    Dl *x = &d->dl[x_slot];
    uint32_t cslot = x->cls;
    Cls *k = &d->cls[cslot];
    double rem = raw_remaining(d, x);
    uint32_t pos = x->pos;
    heap_remove(d, &k->m, K_MEMBER, pos);
    if (k->group == GROUP_C)
        d->s_c = dd_add(d->s_c, -k->cap);
    else
        d->n_u--;
    if (k->m.n == 0) {
        heap_remove(d, &d->fin[k->group], K_FIN, k->pos[FIN]);
        class_release(d, cslot); /* resets S_C to exactly 0 when C empties */
    } else if (pos == 0) {
        class_rekey(d, cslot);
    }
    if (rem < 0)
        d->delivered = dd_add(d->delivered, rem);
    x->cls = d->free_dl;
    d->free_dl = x_slot;
    d->active--;
    return rem;
}

/* ---- public ---- */

HnbDownloads *hnb_downloads_new(double bandwidth_bps)
{
    g_return_val_if_fail(bandwidth_bps > 0 && isfinite(bandwidth_bps), NULL);
    HnbDownloads *d = g_new0(HnbDownloads, 1);
    d->bw_bps = bandwidth_bps;
    d->bw = bandwidth_bps / 8;
    d->theta = INFINITY;
    d->free_dl = d->free_cls = NONE;
    map_resize(&d->ids, 64);
    map_resize(&d->caps, 64);
    return d;
}

void hnb_downloads_free(HnbDownloads *d)
{
    if (!d)
        return;
    for (int g = 0; g < 2; g++) {
        g_free(d->fin[g].a);
        g_free(d->cap[g].a);
    }
    for (uint32_t i = 0; i < d->n_cls; i++)
        g_free(d->cls[i].m.a);
    g_free(d->cls);
    g_free(d->dl);
    g_free(d->ids.key);
    g_free(d->ids.val);
    g_free(d->caps.key);
    g_free(d->caps.val);
    g_free(d);
}

void hnb_downloads_start(HnbDownloads *d, HnbTime now, uint32_t id, double bytes, double cap_bps)
{
    g_return_if_fail(d && now >= d->last);
    g_return_if_fail(bytes >= 0 && isfinite(bytes) && cap_bps > 0);
    g_return_if_fail(map_find(&d->ids, id) == NONE);
    advance(d, now);
    uint32_t s;
    if (d->free_dl != NONE) {
        s = d->free_dl;
        d->free_dl = d->dl[s].cls;
    } else {
        if (d->n_dl == d->cap_dl) {
            d->cap_dl = d->cap_dl ? 2 * d->cap_dl : 64;
            d->dl = g_renew(Dl, d->dl, d->cap_dl);
        }
        s = d->n_dl++;
    }
    d->dl[s].size = bytes;
    d->dl[s].id = id;
    map_insert(&d->ids, id, s);
    d->active++;
    member_add(d, class_get(d, cap_bps / 8), s);
    settle(d);
}

double hnb_downloads_cancel(HnbDownloads *d, HnbTime now, uint32_t id)
{
    g_return_val_if_fail(d && now >= d->last, 0);
    uint32_t cell = map_find(&d->ids, id);
    g_return_val_if_fail(cell != NONE, 0);
    advance(d, now);
    uint32_t s = d->ids.val[cell];
    double size = d->dl[s].size;
    map_delete(&d->ids, cell);
    double rem = member_remove(d, s);
    settle(d);
    return size - MAX(rem, 0.0);
}

gboolean hnb_downloads_next(HnbDownloads *d, HnbTime now, HnbTime *when, uint32_t *id)
{
    g_return_val_if_fail(d && now >= d->last, FALSE);
    advance(d, now);
    HnbTime best = HNB_TIME_NEVER;
    uint32_t best_id = 0;
    gboolean any = FALSE;
    if (d->fin[GROUP_C].n > 0) {
        best = MAX(d->fin[GROUP_C].a[0].key, now);
        best_id = d->fin[GROUP_C].a[0].id;
        any = TRUE;
    }
    if (d->fin[GROUP_U].n > 0) {
        const Cls *k = &d->cls[d->fin[GROUP_U].a[0].slot];
        const Dl *x = &d->dl[k->m.a[0].slot];
        double rem = raw_remaining(d, x);
        HnbTime t;
        if (rem <= DONE_BYTES) {
            t = now;
        } else {
            double ns = ceil(rem / d->theta * NS_PER_S);
            t = ns >= (double)(HNB_TIME_NEVER - now) ? HNB_TIME_NEVER : now + (HnbTime)ns;
        }
        if (!any || t < best || (t == best && x->id < best_id)) {
            best = t;
            best_id = x->id;
        }
        any = TRUE;
    }
    if (any) {
        if (when)
            *when = best;
        if (id)
            *id = best_id;
    }
    return any;
}

void hnb_downloads_finish(HnbDownloads *d, HnbTime now, uint32_t id)
{
    g_return_if_fail(d && now >= d->last);
    uint32_t cell = map_find(&d->ids, id);
    g_return_if_fail(cell != NONE);
    advance(d, now);
    uint32_t s = d->ids.val[cell];
    /* It must be complete: what is left is rounding. */
    g_return_if_fail(raw_remaining(d, &d->dl[s]) <= DONE_BYTES + 1e-9 * d->dl[s].size);
    map_delete(&d->ids, cell);
    double rem = member_remove(d, s);
    if (rem > 0) /* a rounding residue: the download counts as delivered in full */
        d->delivered = dd_add(d->delivered, rem);
    settle(d);
}

size_t hnb_downloads_active(const HnbDownloads *d)
{
    g_return_val_if_fail(d, 0);
    return d->active;
}

double hnb_downloads_rate(const HnbDownloads *d)
{
    g_return_val_if_fail(d, 0);
    double agg = dd_val(d->s_c);
    if (d->n_u > 0)
        agg += (double)d->n_u * d->theta;
    return MIN(agg * 8, d->bw_bps); /* equal to B up to rounding whenever U is non-empty */
}

double hnb_downloads_bytes_delivered(HnbDownloads *d, HnbTime now)
{
    g_return_val_if_fail(d && now >= d->last, 0);
    advance(d, now);
    return dd_val(d->delivered);
}

double hnb_downloads_rate_of(const HnbDownloads *d, uint32_t id)
{
    g_return_val_if_fail(d, 0);
    uint32_t s = map_get(&d->ids, id);
    g_return_val_if_fail(s != NONE, 0);
    const Cls *k = &d->cls[d->dl[s].cls];
    return 8 * (k->group == GROUP_C ? k->cap : d->theta);
}

double hnb_downloads_remaining(const HnbDownloads *d, uint32_t id)
{
    g_return_val_if_fail(d, 0);
    uint32_t s = map_get(&d->ids, id);
    g_return_val_if_fail(s != NONE, 0);
    return MAX(raw_remaining(d, &d->dl[s]), 0.0);
}

/* ---- invariants ---- */

static void verify_order(const Heap *h)
{
    for (uint32_t i = 1; i < h->n; i++)
        g_assert(!less(&h->a[i], &h->a[(i - 1) / 2]));
}

void hnb_downloads_verify(const HnbDownloads *d)
{
    g_assert(d);
    double s_c = 0, cmax = 0;
    uint64_t n_u = 0;
    size_t members = 0;
    for (int g = 0; g < 2; g++) {
        verify_order(&d->fin[g]);
        verify_order(&d->cap[g]);
        g_assert_cmpuint(d->fin[g].n, ==, d->cap[g].n); /* classes are released when they empty */
        for (uint32_t i = 0; i < d->cap[g].n; i++) {
            uint32_t s = d->cap[g].a[i].slot;
            const Cls *k = &d->cls[s];
            g_assert_cmpuint(k->group, ==, g);
            g_assert_cmpuint(k->pos[CAP], ==, i);
            g_assert_cmpuint(d->fin[g].a[k->pos[FIN]].slot, ==, s);
            g_assert_cmpuint(map_get(&d->caps, cap_bits(k->cap)), ==, s);
            g_assert_cmpuint(k->m.n, >, 0);
            verify_order(&k->m);
            for (uint32_t j = 0; j < k->m.n; j++) {
                const Dl *x = &d->dl[k->m.a[j].slot];
                g_assert_cmpuint(x->cls, ==, s);
                g_assert_cmpuint(x->pos, ==, j);
                g_assert_cmpuint(map_get(&d->ids, x->id), ==, k->m.a[j].slot);
            }
            Entry e = class_entry(d, s);
            const Entry *f = &d->fin[g].a[k->pos[FIN]];
            g_assert(e.key == f->key && e.id == f->id);
            members += k->m.n;
            if (g == GROUP_C) {
                g_assert(isfinite(k->cap));
                s_c += k->m.n * k->cap;
                cmax = MAX(cmax, k->cap);
            } else {
                n_u += k->m.n;
            }
        }
    }
    g_assert_cmpuint(members, ==, d->active);
    g_assert_cmpuint(d->ids.used, ==, d->active);
    g_assert_cmpuint(n_u, ==, d->n_u);
    g_assert_cmpfloat(fabs(s_c - dd_val(d->s_c)), <=, 1e-9 * MAX(s_c, 1.0));
    double th = d->theta;
    if (d->n_u > 0) {
        g_assert(th > 0 && isfinite(th));
        g_assert_cmpfloat(d->cls[d->cap[GROUP_U].a[0].slot].cap, >=, th * (1 - TIE));
        g_assert_cmpfloat(cmax, <=, th * (1 + TIE));
        g_assert_cmpfloat(s_c + (double)n_u * th, <=, d->bw * (1 + 1e-12));
    } else {
        g_assert(th == INFINITY);
        g_assert_cmpfloat(s_c, <=, d->bw * (1 + 1e-12));
    }
}
