/* sim/units.h — values with units as written in scenario files.
 *
 * Every value is held as a double in its base unit: seconds are NOT used; durations are nanoseconds (to match
 * HnbTime), sizes are bytes, bit rates are bit/s, event rates are 1/s, fractions are 0..1.
 */
#ifndef HNB_UNITS_H
#define HNB_UNITS_H

#include <glib.h>

typedef enum {
    HNB_UNIT_NONE = 0, /* a plain number: "3", "0.25", "1e6" */
    HNB_UNIT_DURATION, /* "250ms", "5s", "2h", "3d" -> ns */
    HNB_UNIT_SIZE,     /* "50MB" (SI, 1e6), "50MiB" (2^20), "1.5GB", "512B", "8kb" (bits/8) -> bytes */
    HNB_UNIT_BITRATE,  /* "1Gbps", "100Mbit/s", "12MB/s" (bytes*8) -> bit/s */
    HNB_UNIT_RATE,     /* "40/s", "3/h", "0.5/min", or a bare number read as per second -> 1/s */
    HNB_UNIT_FRACTION, /* "0.2" or "20%" -> 0..1, anything outside [0,1] refused */
} HnbUnit;

/* Parse text in unit u.  On error returns FALSE with a message quoting the text and naming what was expected. */
gboolean hnb_units_parse(const char *text, HnbUnit u, double *out, GError **error);

/* Format v (base unit) readably, in a form hnb_units_parse reads back to the same double; returns buf. */
char *hnb_units_format(double v, HnbUnit u, char *buf, size_t n);

/* The unit's name for axis labels and describe output: "", "s", "bytes", "bit/s", "1/s", "fraction". */
const char *hnb_units_name(HnbUnit u);

#endif
