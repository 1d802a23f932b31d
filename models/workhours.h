/* models/workhours.h — a weekly working-hours calendar and working-time arithmetic (for people in the models: signing
 * approvers; the field force keeps its own start-only rule in field.c).
 *
 * Calendar: simulated t = 0 is Monday 00:00 (as in field.h), days run 0..6 from Monday, times are in the one time zone
 * of the scenario.  Each allowed day d has one window [d·DAY + start, d·DAY + start + len); a window that runs past
 * midnight (22:00-06:00) belongs to the day it opens on.  `weekdays_only` drops the windows opening on Saturday and
 * Sunday.  len == DAY is around the clock.
 *
 * Working time: work that needs w of a person's time, begun at t, is done when w of window time has passed from t —
 * the clock stops outside the windows.  So an item submitted Friday 17:59 against 08:00-18:00 weekdays with one
 * hour of work gets one minute on Friday and is done Monday 08:59.
 */
#ifndef HNB_WORKHOURS_H
#define HNB_WORKHOURS_H

#include <glib.h>
#include "sim/time.h"

typedef struct {
    HnbTime start; /* window opening within the day, [0, DAY) */
    HnbTime len;   /* window length, (0, DAY] */
    gboolean weekdays_only;
} HnbWorkHours;

/* "HH:MM-HH:MM" (end may be before start: past midnight; "24:00" ends at midnight) or "always" (around the clock).
 * FALSE with a message quoting the text and saying what was expected (the caller adds file, group and key). */
gboolean hnb_workhours_parse(HnbWorkHours *out, const char *text, gboolean weekdays_only, GError **error);

/* Is t inside a window? */
gboolean hnb_workhours_open(const HnbWorkHours *wh, HnbTime t);

/* The first instant >= t inside a window (t itself when open). */
HnbTime hnb_workhours_next(const HnbWorkHours *wh, HnbTime t);

/* When work of working time, begun at t, is done: at least hnb_workhours_next(t) (work == 0 still needs the person to
 * be at work).  t >= 0, work >= 0; saturates at HNB_TIME_NEVER. */
HnbTime hnb_workhours_add(const HnbWorkHours *wh, HnbTime t, HnbTime work);

#endif
