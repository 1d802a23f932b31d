/* sim/window.c — exact sliding-window peaks (sim/window.h).
 *
 * Invariant (between calls): the ring holds exactly the events with time in (now - W, now], oldest first, and a, b
 * are their sums; every window state at an instant before `now` has been evaluated, the one at `now` too unless
 * `pending`.
 */
#include "sim/window.h"

#include <math.h>

struct HnbWindowEvent {
    HnbTime t;
    uint32_t a, b;
};

void hnb_window_init(HnbWindow *w, HnbTime width, uint64_t min_a)
{
    g_return_if_fail(width > 0);
    *w = (HnbWindow){.width = width, .min_a = min_a ? min_a : 1, .max_ratio = NAN};
}

void hnb_window_clear(HnbWindow *w)
{
    g_free(w->ring);
    hnb_window_init(w, w->width, w->min_a);
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
        HnbTime exit = w->ring[w->head].t + w->width;
        if (exit > until)
            return;
        while (w->len > 0 && w->ring[w->head].t + w->width == exit) {
            w->a -= w->ring[w->head].a;
            w->b -= w->ring[w->head].b;
            w->head = (w->head + 1) & (w->cap - 1);
            w->len--;
        }
        if (exit < until || at_until)
            evaluate(w);
    }
}

static void grow(HnbWindow *w)
{
    size_t cap = w->cap ? 2 * w->cap : 256;
    struct HnbWindowEvent *r = g_new(struct HnbWindowEvent, cap);
    for (size_t k = 0; k < w->len; k++)
        r[k] = w->ring[(w->head + k) & (w->cap - 1)];
    g_free(w->ring);
    w->ring = r;
    w->cap = cap;
    w->head = 0;
}

void hnb_window_add(HnbWindow *w, HnbTime t, uint32_t a, uint32_t b)
{
    g_return_if_fail(t >= w->now);
    if (t > w->now && w->pending) {
        evaluate(w); /* every event at `now` is in: the window ending there is complete */
        w->pending = FALSE;
    }
    expire(w, t, FALSE);
    if (w->len == w->cap)
        grow(w);
    w->ring[(w->head + w->len++) & (w->cap - 1)] = (struct HnbWindowEvent){t, a, b};
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
