/* sim/window.c — exact sliding-window peaks (sim/window.h).
 *
 * Invariant (between calls): the ring holds exactly the events with time in (now - W, now], oldest first, and a, b
 * are their sums; every window state at an instant before `now` has been evaluated, the one at `now` too unless
 * `pending`.
 */
#include "sim/window.h"

#include <math.h>

/* An entry: t << 2 | a << 1 | b, with a and b 0 or 1 (times are >= 0 and below 2^61). */
#define ENTRY_T(e) ((HnbTime)((e) >> 2))
#define ENTRY_A(e) (((e) >> 1) & 1u)
#define ENTRY_B(e) ((e) & 1u)
enum { CHUNK = 4096 };

struct HnbWindowChunk {
    struct HnbWindowChunk *next;
    uint64_t e[CHUNK];
};

void hnb_window_init(HnbWindow *w, HnbTime width, uint64_t min_a)
{
    g_return_if_fail(width > 0);
    *w = (HnbWindow){.width = width, .min_a = min_a ? min_a : 1, .max_ratio = NAN, .rd = CHUNK, .wr = CHUNK};
}

void hnb_window_clear(HnbWindow *w)
{
    for (struct HnbWindowChunk *c = w->head, *next; c; c = next) {
        next = c->next;
        g_free(c);
    }
    g_free(w->spare);
    hnb_window_init(w, w->width, w->min_a);
}

/* The oldest entry leaves. */
static void take(HnbWindow *w)
{
    w->len--;
    if (++w->rd < CHUNK)
        return;
    struct HnbWindowChunk *c = w->head;
    w->head = c->next;
    w->rd = 0;
    if (!w->head) { /* it was the tail, read to its end */
        w->tail = NULL;
        w->rd = w->wr = CHUNK;
    }
    g_free(w->spare);
    w->spare = c;
}

static void put(HnbWindow *w, uint64_t e)
{
    if (w->wr == CHUNK) {
        struct HnbWindowChunk *c = w->spare ? w->spare : g_new(struct HnbWindowChunk, 1);
        w->spare = NULL;
        c->next = NULL;
        if (w->tail) {
            w->tail->next = c;
        } else {
            w->head = c;
            w->rd = 0;
        }
        w->tail = c;
        w->wr = 0;
    }
    w->tail->e[w->wr++] = e;
    w->len++;
}

static void evaluate(HnbWindow *w)
{
    if (w->a > w->max_a)
        w->max_a = w->a;
    if (w->a >= w->min_a) {
        double r = (double)w->b / (double)w->a;
        if (isnan(w->max_ratio) || r > w->max_ratio)
            w->max_ratio = r;
    }
}

/* Every event whose exit time (t + W) is at or before `until` leaves, the exits of one instant together; the window
 * is evaluated after each instant's exits, except at `until` when !at_until: that instant is evaluated later with
 * the newcomers of the same time in. */
static void expire(HnbWindow *w, HnbTime until, gboolean at_until)
{
    while (w->len > 0) {
        HnbTime exit = ENTRY_T(w->head->e[w->rd]) + w->width;
        if (exit > until)
            return;
        while (w->len > 0 && ENTRY_T(w->head->e[w->rd]) + w->width == exit) {
            uint64_t e = w->head->e[w->rd];
            w->a -= ENTRY_A(e);
            w->b -= ENTRY_B(e);
            take(w);
        }
        if (exit < until || at_until)
            evaluate(w);
    }
}

void hnb_window_add(HnbWindow *w, HnbTime t, uint32_t a, uint32_t b)
{
    g_return_if_fail(t >= w->now);
    g_return_if_fail(t >= 0 && t < ((HnbTime)1 << 61)); /* an entry keeps t in 62 bits */
    if (t > w->now && w->pending) {
        evaluate(w); /* every event at `now` is in: the window ending there is complete */
        w->pending = FALSE;
    }
    expire(w, t, FALSE);
    uint32_t n = MAX(1u, MAX(a, b)); /* entries at t, each with one of a and one of b while they last */
    for (uint32_t k = 0; k < n; k++)
        put(w, (uint64_t)t << 2 | (uint64_t)(k < a) << 1 | (uint64_t)(k < b));
    w->a += a;
    w->b += b;
    w->any_b |= b > 0;
    w->now = t;
    w->pending = TRUE;
}

void hnb_window_finish(HnbWindow *w, HnbTime end)
{
    g_return_if_fail(end >= w->now);
    if (w->pending)
        evaluate(w);
    w->pending = FALSE;
    expire(w, end, TRUE);
}
