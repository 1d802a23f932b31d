/* models/workhours.c — working-hours windows and working-time arithmetic (see workhours.h).
 *
 * The calendar repeats every week, and any week-long interval holds exactly one week of window time (len per allowed
 * day), so long stretches of work skip whole weeks at once: adding work costs at most a week of window steps.
 */
#include "models/workhours.h"

#include <string.h>

#define WEEK (7 * HNB_DAY)

static gboolean day_allowed(const HnbWorkHours *wh, int64_t d)
{
    return !wh->weekdays_only || (d % 7 + 7) % 7 < 5; /* d may be -1: the Sunday before t = 0 */
}

/* The end of the window holding t (today's, or yesterday's if it runs past midnight); FALSE when t is outside.  (The
 * opening of yesterday's window may lie before t = 0.) */
static gboolean window_end(const HnbWorkHours *wh, HnbTime t, HnbTime *end)
{
    int64_t d = t / HNB_DAY;
    for (int64_t e = d - 1; e <= d; e++) {
        HnbTime o = e * HNB_DAY + wh->start;
        if (day_allowed(wh, e) && t >= o && t - o < wh->len) {
            *end = o + wh->len;
            return TRUE;
        }
    }
    return FALSE;
}

gboolean hnb_workhours_open(const HnbWorkHours *wh, HnbTime t)
{
    HnbTime end;
    return window_end(wh, t, &end);
}

HnbTime hnb_workhours_next(const HnbWorkHours *wh, HnbTime t)
{
    if (hnb_workhours_open(wh, t))
        return t;
    for (int64_t d = t / HNB_DAY;; d++) { /* at most 3 days on: a weekend */
        HnbTime o = d * HNB_DAY + wh->start;
        if (o >= t && day_allowed(wh, d))
            return o;
    }
}

HnbTime hnb_workhours_add(const HnbWorkHours *wh, HnbTime t, HnbTime work)
{
    g_return_val_if_fail(t >= 0 && work >= 0, HNB_TIME_NEVER);
    t = hnb_workhours_next(wh, t);
    if (work == 0)
        return t;
    HnbTime week_work = wh->len * (wh->weekdays_only ? 5 : 7);
    /* whole weeks, leaving some work for the window walk so that it ends inside (or at the end of) a window */
    int64_t weeks = (work - 1) / week_work;
    if (weeks > (HNB_TIME_NEVER - t) / WEEK)
        return HNB_TIME_NEVER;
    t += weeks * WEEK;
    work -= weeks * week_work;
    for (;;) {
        HnbTime end = t;
        gboolean open = window_end(wh, t, &end);
        g_assert(open); /* t is always inside a window here */
        if (work <= end - t)
            return t + work;
        work -= end - t;
        t = hnb_workhours_next(wh, end);
    }
}

/* "HH:MM" with HH 00..24 (24 only as 24:00); FALSE when malformed. */
static gboolean clock_time(const char *s, size_t n, HnbTime *out)
{
    if (n != 5 || !g_ascii_isdigit(s[0]) || !g_ascii_isdigit(s[1]) || s[2] != ':' || !g_ascii_isdigit(s[3]) ||
        !g_ascii_isdigit(s[4]))
        return FALSE;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || m > 59 || (h == 24 && m != 0))
        return FALSE;
    *out = h * HNB_HOUR + m * HNB_MIN;
    return TRUE;
}

gboolean hnb_workhours_parse(HnbWorkHours *out, const char *text, gboolean weekdays_only, GError **error)
{
    g_autofree char *s = g_strstrip(g_strdup(text));
    *out = (HnbWorkHours){0, HNB_DAY, weekdays_only};
    if (g_ascii_strcasecmp(s, "always") == 0)
        return TRUE;
    const char *dash = strchr(s, '-');
    HnbTime start, end;
    if (dash == NULL || !clock_time(s, (size_t)(dash - s), &start) ||
        !clock_time(dash + 1, strlen(dash + 1), &end) || start == HNB_DAY) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "\"%s\": expected a daily window HH:MM-HH:MM (e.g. 08:00-18:00; 22:00-06:00 runs past midnight) "
                    "or always", text);
        return FALSE;
    }
    HnbTime len = end - start;
    out->start = start;
    out->len = len <= 0 ? len + HNB_DAY : len; /* equal ends: around the clock from `start` (as [field] does) */
    return TRUE;
}
