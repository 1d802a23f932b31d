/* sim/time.h — virtual time.  (Included as "sim/time.h": only the project root is on the include path, so this
 * name never shadows the system <time.h>.)
 *
 * Simulated time is a signed 64-bit count of nanoseconds since the start of the run (t = 0).  Integers, not doubles,
 * so that equal times compare equal on every machine and the event order never depends on rounding.  2^63 ns is
 * 292 years, far past any scenario horizon; HNB_TIME_NEVER marks "no time".
 */
#ifndef HNB_SIM_TIME_H
#define HNB_SIM_TIME_H

#include <glib.h>
#include <stdint.h>

typedef int64_t HnbTime;

#define HNB_NSEC ((HnbTime)1)
#define HNB_USEC ((HnbTime)1000)
#define HNB_MSEC ((HnbTime)1000000)
#define HNB_SEC ((HnbTime)1000000000)
#define HNB_MIN (60 * HNB_SEC)
#define HNB_HOUR (60 * HNB_MIN)
#define HNB_DAY (24 * HNB_HOUR)
#define HNB_TIME_NEVER INT64_MAX

/* Parse a duration: a number with a unit, or several summed ("1h30m").  Units: ns us ms s m (or min) h d w.
 * Decimals are allowed ("1.5s"); a bare "0" is zero.  Negative durations are refused.  On error returns FALSE and
 * sets a message that quotes the text and says what was expected (the caller adds file/group/key). */
gboolean hnb_time_parse(const char *text, HnbTime *out, GError **error);

/* Format a duration as the shortest exact form that hnb_time_parse reads back to the same value ("2h", "1h30m",
 * "250ms", "1.5s").  Writes at most n bytes (32 always suffices) and returns buf. */
char *hnb_time_format(HnbTime t, char *buf, size_t n);

static inline double hnb_time_to_sec(HnbTime t) { return (double)t / (double)HNB_SEC; }
HnbTime hnb_time_from_sec(double seconds); /* rounds to the nearest ns; saturates at HNB_TIME_NEVER */

#include "sim/error.h" /* every parser of times reports through it */

#endif
