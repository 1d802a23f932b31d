/* sim/window.h — exact peaks over sliding time windows: the most events in any window of width W, and the highest
 * ratio of two counts in any window that holds enough events.
 *
 * Why.  A rate sampled every 15 minutes averages a one-minute burst away (sessions/s read 4.9 where arrivals peaked
 * near 50/s); fixed buckets can split a burst in two.  This recorder looks at every window position, not at buckets.
 *
 * Definition.  Events come in time order, each with two counts (a, b): for the fleet's H(e)MS, a = sessions opened
 * and b = sessions refused.  The window ending at t is the half-open interval (t - W, t]; A(t) and B(t) sum a and b
 * over the events in it.  The recorder reports
 *   max_a     = max over all t of A(t), and
 *   max_ratio = max over all t with A(t) >= min_a of B(t) / A(t) (NAN if no window ever held min_a; 0 if b was
 *               always 0, since then every window's ratio is 0).
 * A and B are piecewise constant in t and change only at an event's time (it enters) or at its time + W (it leaves),
 * so evaluating the window at each of those instants — after every event of that instant is in and every leaver is
 * out — sees every value A and B ever take: the maxima are exact, not approximations.  Ends of windows after
 * `end` (hnb_window_finish) are not considered: the run did not look there.
 *
 * Cost: O(1) amortised per event (O(max(a, b)) for counts above 1); memory: 8 bytes per unit of a or b in one window
 * (a FIFO of 4096-entry chunks, each entry a time and one of a and one of b, so an event (a, b) takes max(a, b) entries
 * at its time, exactly equivalent: they enter and leave together).  A national fleet's golden storm puts millions of
 * sessions and refusals into one minute; 16-byte events in a ring doubled to a power of two cost up to 4 times as
 * much.
 */
#ifndef HNB_SIM_WINDOW_H
#define HNB_SIM_WINDOW_H

#include <glib.h>
#include <stdint.h>
#include "sim/time.h"

typedef struct {
    HnbTime width;   /* W > 0 */
    uint64_t min_a;  /* a window's ratio counts only when A >= min_a (>= 1) */
    /* the events in the window at `now`, oldest first: chunks from head at rd to tail at wr; one spare chunk kept */
    struct HnbWindowChunk *head, *tail, *spare;
    uint32_t rd, wr;
    size_t len;
    uint64_t a, b;   /* A and B of the window ending at `now` */
    HnbTime now;     /* time of the latest event; the window there is not evaluated until time moves on */
    gboolean pending; /* an event at `now` is in, not yet evaluated */
    uint64_t max_a;
    double max_ratio; /* NAN until a window holds min_a */
    gboolean any_b;   /* b > 0 was ever added */
} HnbWindow;

void hnb_window_init(HnbWindow *w, HnbTime width, uint64_t min_a);
void hnb_window_clear(HnbWindow *w); /* frees; init again to reuse */
/* An event at time t (>= the previous event's) adding a to A and b to B. */
void hnb_window_add(HnbWindow *w, HnbTime t, uint32_t a, uint32_t b);
/* No more events; windows ending up to `end` (>= the last event's time) are evaluated.  Call once before reading. */
void hnb_window_finish(HnbWindow *w, HnbTime end);

static inline uint64_t hnb_window_max_a(const HnbWindow *w) { return w->max_a; }
/* As defined above: NAN when no window held min_a events and some b was added; 0 when no b was ever added. */
static inline double hnb_window_max_ratio(const HnbWindow *w) { return w->any_b ? w->max_ratio : 0.0; }

#endif
