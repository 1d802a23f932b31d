/* results/format.c — numbers rounded for reading (format.h has the rule and its source).
 *
 * Everything goes through one routine, fixed(): v rounded to a multiple of 10^place and printed in the C locale
 * whatever the process's locale is, the integer part grouped by threes.
 */
#include "results/format.h"

#include <math.h>
#include <string.h>

/* Append the digits of an integer part with a comma between groups of three ("3046" -> "3,046"). */
static void grouped(GString *out, const char *digits, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (k > 0 && (n - k) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, digits[k]);
    }
}

/* v rounded to the decimal place `place` (its last digit is worth 10^place), halves away from zero, grouped.  The
 * digits come from the integer round(|v| / 10^place), which "%.0f" prints exactly, and the point is put in by hand;
 * past 2^53 that integer is no longer exact and v is printed whole. */
static char *fixed(double v, int place)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE + 400];
    double scaled = round(fabs(v) / pow(10, place));
    GString *digits = g_string_new(NULL);
    if (!(scaled < 9007199254740992.0)) {
        g_ascii_formatd(buf, sizeof buf, "%.0f", fabs(v));
        g_string_append(digits, buf);
        place = 0;
    } else {
        g_ascii_formatd(buf, sizeof buf, "%.0f", scaled);
        g_string_append(digits, buf);
        if (place > 0 && scaled != 0)
            for (int k = 0; k < place; k++)
                g_string_append_c(digits, '0');
    }
    size_t decimals = place < 0 ? (size_t)-place : 0;
    while (digits->len <= decimals)
        g_string_prepend_c(digits, '0');
    /* a value that rounds to zero has no sign: "-0.00" says nothing "0.00" does not */
    GString *out = g_string_new(v < 0 && scaled != 0 ? "-" : "");
    grouped(out, digits->str, digits->len - decimals);
    if (decimals > 0) {
        g_string_append_c(out, '.');
        g_string_append(out, digits->str + digits->len - decimals);
    }
    g_string_free(digits, TRUE);
    return g_string_free(out, FALSE);
}

static const char *not_finite(double v)
{
    return isnan(v) ? HNB_FORMAT_UNDEFINED : v > 0 ? HNB_FORMAT_BEYOND : "-inf";
}

char *hnb_format_sig(double v, int digits)
{
    g_return_val_if_fail(digits >= 1 && digits <= 17, NULL);
    if (!isfinite(v))
        return g_strdup(not_finite(v));
    if (v == 0)
        return g_strdup("0");
    int e = (int)floor(log10(fabs(v)));
    char *t = fixed(v, e - digits + 1);
    /* no interval says how many digits are real: the trailing zeros of a decimal part would claim some */
    if (strchr(t, '.') != NULL) {
        size_t n = strlen(t);
        while (t[n - 1] == '0')
            t[--n] = '\0';
        if (t[n - 1] == '.')
            t[n - 1] = '\0';
    }
    return t;
}

int hnb_format_ci_place(double half, double *rounded)
{
    g_return_val_if_fail(isfinite(half) && half > 0, 0);
    int e = (int)floor(log10(half));
    /* the three highest-order digits as written (truncated, not rounded: 354.9 starts with 354); the small
     * allowance keeps 0.355, held as 0.35499999..., from reading 354 */
    double d3 = floor(half / pow(10, e - 2) * (1 + 1e-12));
    if (d3 >= 1000) { /* log10 rounded down across a power of ten */
        e++;
        d3 = floor(d3 / 10);
    } else if (d3 < 100) {
        e--;
        d3 = floor(half / pow(10, e - 2) * (1 + 1e-12));
    }
    int place;
    double r;
    if (d3 <= 354) { /* two significant digits */
        place = e - 1;
        r = round(half / pow(10, place)) * pow(10, place);
    } else if (d3 <= 949) { /* one */
        place = e;
        r = round(half / pow(10, place)) * pow(10, place);
    } else { /* up to 1000, two significant digits: 0.0097 -> 0.010 */
        place = e;
        r = pow(10, e + 1);
    }
    if (rounded)
        *rounded = r;
    return place;
}

char *hnb_format_mean_ci(double mean, double half)
{
    if (!isfinite(mean))
        return g_strdup(not_finite(mean));
    if (!isfinite(half) || half < 0)
        return hnb_format_sig(mean, 4);
    /* a half-width below 10^-12 of the mean is the rounding of identical values summed (0.1 + 0.1 + ... is not
     * exactly n x 0.1), not an interval: printed to the PDG place it would ask for 17+ decimals a double has not */
    if (half == 0 || half < fabs(mean) * 1e-12) {
        g_autofree char *m = hnb_format_sig(mean, 4);
        return g_strconcat(m, " \u00b1 0", NULL);
    }
    double r;
    int place = hnb_format_ci_place(half, &r);
    g_autofree char *m = fixed(mean, place), *h = fixed(r, place);
    return g_strconcat(m, " \u00b1 ", h, NULL);
}
