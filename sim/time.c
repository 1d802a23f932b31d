/* sim/time.c — parsing and printing durations.
 *
 * Parsing is exact: "1.5s" is read as 1 s + 5/10 s in integer arithmetic, never through a double, so every text
 * written by hnb_time_format reads back to the same nanosecond count.
 */
#include "sim/time.h"

#include <math.h>
#include <string.h>


static const struct {
    const char *name;
    HnbTime ns;
} units[] = {
    /* longest names first, so "ms" is not read as "m" followed by junk */
    {"min", HNB_MIN}, {"ns", HNB_NSEC}, {"us", HNB_USEC}, {"\xc2\xb5s", HNB_USEC}, {"ms", HNB_MSEC},
    {"s", HNB_SEC},   {"m", HNB_MIN},   {"h", HNB_HOUR},  {"d", HNB_DAY},            {"w", 7 * HNB_DAY},
};

static gboolean fail(GError **error, const char *text, const char *why)
{
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": %s (expected a duration such as 250ms, 5s, 2h, 3d or 1h30m)",
                text, why);
    return FALSE;
}

gboolean hnb_time_parse(const char *text, HnbTime *out, GError **error)
{
    const char *p = text;
    HnbTime total = 0;
    int terms = 0;

    while (g_ascii_isspace(*p))
        p++;
    if (*p == '\0')
        return fail(error, text, "empty");
    if (*p == '-')
        return fail(error, text, "durations cannot be negative");
    while (*p) {
        uint64_t whole = 0, frac = 0, frac_scale = 1;
        int digits = 0;
        while (g_ascii_isdigit(*p)) {
            if (whole > (UINT64_MAX - 9) / 10)
                return fail(error, text, "number too large");
            whole = whole * 10 + (uint64_t)(*p++ - '0');
            digits++;
        }
        if (*p == '.') {
            p++;
            while (g_ascii_isdigit(*p)) {
                /* digits past 1e-18 of the unit cannot change a nanosecond count of any unit up to a week */
                if (frac_scale < 1000000000000000000ULL) {
                    frac = frac * 10 + (uint64_t)(*p - '0');
                    frac_scale *= 10;
                }
                p++;
                digits++;
            }
        }
        if (digits == 0)
            return fail(error, text, "a number is missing");
        while (g_ascii_isspace(*p))
            p++;
        HnbTime unit = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
            size_t len = strlen(units[i].name);
            if (strncmp(p, units[i].name, len) == 0 && !g_ascii_isalpha(p[len])) {
                unit = units[i].ns;
                p += len;
                break;
            }
        }
        if (unit == 0) {
            if (*p == '\0' && whole == 0 && frac == 0 && terms == 0) {
                *out = 0; /* a bare 0 needs no unit */
                return TRUE;
            }
            return fail(error, text, *p ? "unknown unit" : "a unit is missing");
        }
        if (whole > (uint64_t)(INT64_MAX / unit))
            return fail(error, text, "too large");
        HnbTime term = (HnbTime)whole * unit;
        /* frac/frac_scale of a unit, rounded to the nearest ns; 128-bit intermediate keeps it exact */
        unsigned __int128 f = (unsigned __int128)frac * (uint64_t)unit;
        term += (HnbTime)((f + frac_scale / 2) / frac_scale);
        if (term < 0 || total > INT64_MAX - term)
            return fail(error, text, "too large");
        total += term;
        terms++;
        while (g_ascii_isspace(*p))
            p++;
    }
    *out = total;
    return TRUE;
}

HnbTime hnb_time_from_sec(double seconds)
{
    double ns = nearbyint(seconds * 1e9);
    if (!(ns < 9.2e18))
        return seconds != seconds ? 0 : HNB_TIME_NEVER;
    if (ns <= -9.2e18)
        return -HNB_TIME_NEVER;
    return (HnbTime)ns;
}

char *hnb_time_format(HnbTime t, char *buf, size_t n)
{
    static const struct {
        const char *name;
        HnbTime ns;
    } parts[] = {{"d", HNB_DAY}, {"h", HNB_HOUR}, {"m", HNB_MIN}};
    GString *s;

    if (t == HNB_TIME_NEVER) {
        g_strlcpy(buf, "never", n);
        return buf;
    }
    s = g_string_sized_new(32);
    if (t < 0) {
        g_string_append_c(s, '-');
        t = -t;
    }
    if (t == 0) {
        g_string_append(s, "0s");
    } else if (t < HNB_SEC) {
        if (t % HNB_MSEC == 0)
            g_string_append_printf(s, "%" G_GINT64_FORMAT "ms", t / HNB_MSEC);
        else if (t % HNB_USEC == 0)
            g_string_append_printf(s, "%" G_GINT64_FORMAT "us", t / HNB_USEC);
        else
            g_string_append_printf(s, "%" G_GINT64_FORMAT "ns", t);
    } else {
        for (size_t i = 0; i < G_N_ELEMENTS(parts); i++) {
            if (t >= parts[i].ns) {
                g_string_append_printf(s, "%" G_GINT64_FORMAT "%s", t / parts[i].ns, parts[i].name);
                t %= parts[i].ns;
            }
        }
        if (t > 0) {
            HnbTime sec = t / HNB_SEC, sub = t % HNB_SEC;
            g_string_append_printf(s, "%" G_GINT64_FORMAT, sec);
            if (sub) {
                char digits[16];
                g_snprintf(digits, sizeof digits, "%09" G_GINT64_FORMAT, sub);
                for (int i = 8; i > 0 && digits[i] == '0'; i--)
                    digits[i] = '\0';
                g_string_append_printf(s, ".%s", digits);
            }
            g_string_append_c(s, 's');
        }
    }
    g_strlcpy(buf, s->str, n);
    g_string_free(s, TRUE);
    return buf;
}
