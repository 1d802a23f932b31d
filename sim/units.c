/* sim/units.c — numbers with units, as written in scenario files.
 *
 * Each unit kind has a table of suffixes with their factor to the base unit.  Case matters where the SI usage makes
 * it matter: "B" is a byte, "b" a bit, "M" mega, "m" (in a duration) a minute.
 */
#include "sim/units.h"
#include "sim/time.h"

#include <math.h>
#include <string.h>

typedef struct {
    const char *suffix;
    double factor;
} Suffix;

/* Sizes in bytes.  SI prefixes are powers of 1000 as storage vendors use them; IEC prefixes powers of 1024. */
static const Suffix size_suffixes[] = {
    {"TiB", 1099511627776.0}, {"GiB", 1073741824.0}, {"MiB", 1048576.0}, {"KiB", 1024.0},
    {"TB", 1e12},             {"GB", 1e9},           {"MB", 1e6},        {"kB", 1e3},       {"KB", 1e3},
    {"Tb", 1e12 / 8},         {"Gb", 1e9 / 8},       {"Mb", 1e6 / 8},    {"kb", 1e3 / 8},   {"B", 1},
    {"b", 1.0 / 8},           {NULL, 0},
};

/* Bit rates in bit/s. */
static const Suffix bitrate_suffixes[] = {
    {"Tbps", 1e12},   {"Gbps", 1e9},      {"Mbps", 1e6},      {"kbps", 1e3},      {"bps", 1},
    {"Tbit/s", 1e12}, {"Gbit/s", 1e9},    {"Mbit/s", 1e6},    {"kbit/s", 1e3},    {"bit/s", 1},
    {"TB/s", 8e12},   {"GB/s", 8e9},      {"MB/s", 8e6},      {"kB/s", 8e3},      {"B/s", 8},
    {NULL, 0},
};

/* Event rates in 1/s; the factor is the unit's length in seconds and is DIVIDED by, so "3/h" is 3/3600 correctly
 * rounded (multiplying by 1/3600 is not). */
static const Suffix rate_suffixes[] = {
    {"/s", 1}, {"/sec", 1}, {"/min", 60}, {"/m", 60}, {"/h", 3600}, {"/d", 86400},
    {"/day", 86400}, {"/w", 604800}, {"/y", 31536000}, {NULL, 0},
};

static gboolean fail(GError **error, const char *text, HnbUnit u, const char *why)
{
    static const char *const expect[] = {
        [HNB_UNIT_NONE] = "a number such as 3, 0.25 or 1e6",
        [HNB_UNIT_DURATION] = "a duration such as 250ms, 5s, 2h, 3d or 1h30m",
        [HNB_UNIT_SIZE] = "a size such as 512B, 50MB, 1.5GiB",
        [HNB_UNIT_BITRATE] = "a bit rate such as 100Mbps, 1Gbps, 12MB/s",
        [HNB_UNIT_RATE] = "a rate such as 40/s, 3/h, 0.5/min",
        [HNB_UNIT_FRACTION] = "a fraction such as 0.2 or 20%",
    };
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": %s (expected %s)", text, why, expect[u]);
    return FALSE;
}

/* Reads the leading number; returns the rest, trimmed, in *rest. */
static gboolean leading_number(const char *text, double *v, const char **rest)
{
    char *end;
    const char *p = text;
    while (g_ascii_isspace(*p))
        p++;
    /* g_ascii_strtod also reads "inf", "nan" and hex floats; scenario values are never meant to be those */
    if (!(g_ascii_isdigit(*p) || ((*p == '-' || *p == '+' || *p == '.') && (g_ascii_isdigit(p[1]) || p[1] == '.'))))
        return FALSE;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        return FALSE;
    *v = g_ascii_strtod(p, &end);
    if (end == p || !isfinite(*v))
        return FALSE;
    while (g_ascii_isspace(*end))
        end++;
    *rest = end;
    return TRUE;
}

static gboolean with_suffix(const char *text, HnbUnit u, const Suffix *table, gboolean divide, double *out,
                            GError **error)
{
    double v;
    const char *rest;
    if (!leading_number(text, &v, &rest))
        return fail(error, text, u, "not a number");
    if (v < 0)
        return fail(error, text, u, "must not be negative");
    size_t len = strlen(rest);
    while (len > 0 && g_ascii_isspace(rest[len - 1]))
        len--;
    if (len == 0) { /* a bare number is in the base unit */
        *out = v;
        return TRUE;
    }
    for (const Suffix *s = table; s->suffix; s++) {
        if (strlen(s->suffix) == len && strncmp(rest, s->suffix, len) == 0) {
            *out = divide ? v / s->factor : v * s->factor;
            if (!isfinite(*out))
                return fail(error, text, u, "too large");
            return TRUE;
        }
    }
    return fail(error, text, u, "unknown unit");
}

gboolean hnb_units_parse(const char *text, HnbUnit u, double *out, GError **error)
{
    double v;
    const char *rest;

    switch (u) {
    case HNB_UNIT_NONE:
        if (!leading_number(text, &v, &rest) || *rest)
            return fail(error, text, u, "not a number");
        *out = v;
        return TRUE;
    case HNB_UNIT_DURATION: {
        HnbTime t;
        GError *e = NULL;
        if (!hnb_time_parse(text, &t, &e)) {
            g_propagate_error(error, e);
            return FALSE;
        }
        *out = (double)t;
        return TRUE;
    }
    case HNB_UNIT_SIZE:
        return with_suffix(text, u, size_suffixes, FALSE, out, error);
    case HNB_UNIT_BITRATE:
        return with_suffix(text, u, bitrate_suffixes, FALSE, out, error);
    case HNB_UNIT_RATE:
        return with_suffix(text, u, rate_suffixes, TRUE, out, error);
    case HNB_UNIT_FRACTION:
        if (!leading_number(text, &v, &rest))
            return fail(error, text, u, "not a number");
        if (*rest == '%' && rest[1] == '\0')
            v /= 100;
        else if (*rest)
            return fail(error, text, u, "unknown unit");
        if (v < 0 || v > 1)
            return fail(error, text, u, "must lie between 0 and 1 (0% and 100%)");
        *out = v;
        return TRUE;
    }
    g_return_val_if_reached(FALSE);
}

static const char *const formats[] = {"%.6g", "%.10g", "%.15g", "%.17g"};

/* The shortest of a few "%.Ng" texts of v that reads back as exactly v (%.17g always does). */
static void exact(double v, char *buf, size_t n)
{
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        g_ascii_formatd(buf, (gint)n, formats[i], v);
        if (g_ascii_strtod(buf, NULL) == v)
            return;
    }
}

/* Try to write v as "<short number><suffix>" that parses back to exactly v. */
static gboolean try_suffix(double v, HnbUnit u, double x, const char *suffix, char *buf, size_t n)
{
    for (size_t i = 0; i < 3; i++) { /* at most 15 significant digits: longer is not "readable" */
        char num[64], text[96];
        double back;
        g_ascii_formatd(num, sizeof num, formats[i], x);
        g_snprintf(text, sizeof text, "%s%s", num, suffix);
        if (strlen(num) <= 10 && hnb_units_parse(text, u, &back, NULL) && back == v) {
            g_strlcpy(buf, text, n);
            return TRUE;
        }
    }
    return FALSE;
}

/* The shortest exact text over all suffixes (50MB rather than 48828.125KiB); else the base unit. */
static char *format_suffix(double v, HnbUnit u, const Suffix *table, const char *base, char *buf, size_t n)
{
    char best[96] = "", cand[96];
    for (const Suffix *s = table; v != 0 && s->suffix; s++) {
        /* bit-based sizes and byte-based rates are accepted as input but not how we print */
        if ((u == HNB_UNIT_SIZE && strchr(s->suffix, 'b')) || (u == HNB_UNIT_BITRATE && strchr(s->suffix, 'B')) ||
            strstr(s->suffix, "bit/") || strcmp(s->suffix, "KB") == 0)
            continue;
        double x = v / s->factor;
        if (x >= 1 && try_suffix(v, u, x, s->suffix, cand, sizeof cand) && (!best[0] || strlen(cand) < strlen(best)))
            g_strlcpy(best, cand, sizeof best);
    }
    if (best[0]) {
        g_strlcpy(buf, best, n);
        return buf;
    }
    char num[64];
    exact(v, num, sizeof num);
    g_snprintf(buf, n, "%s%s", num, base);
    return buf;
}

char *hnb_units_format(double v, HnbUnit u, char *buf, size_t n)
{
    char num[64];
    switch (u) {
    case HNB_UNIT_DURATION:
        if (v >= 0 && v < 9.2e18 && v == floor(v))
            return hnb_time_format((HnbTime)v, buf, n);
        exact(v / 1e9, num, sizeof num);
        g_snprintf(buf, n, "%ss", num);
        return buf;
    case HNB_UNIT_SIZE:
        return format_suffix(v, u, size_suffixes, "B", buf, n);
    case HNB_UNIT_BITRATE:
        return format_suffix(v, u, bitrate_suffixes, "bps", buf, n);
    case HNB_UNIT_RATE:
        /* the shortest unit in which the number is at least 1: 40/s, 3/h, 2/d */
        for (const Suffix *s = rate_suffixes; s->suffix; s++) {
            if (strcmp(s->suffix, "/m") == 0 || strcmp(s->suffix, "/sec") == 0 || strcmp(s->suffix, "/day") == 0)
                continue;
            double x = v * s->factor;
            if ((x >= 1 || s[1].suffix == NULL) && try_suffix(v, u, x, s->suffix, buf, n))
                return buf;
        }
        exact(v, num, sizeof num);
        g_snprintf(buf, n, "%s/s", num);
        return buf;
    case HNB_UNIT_NONE:
    case HNB_UNIT_FRACTION:
    default:
        exact(v, buf, n);
        return buf;
    }
}

const char *hnb_units_name(HnbUnit u)
{
    switch (u) {
    case HNB_UNIT_DURATION: return "s";
    case HNB_UNIT_SIZE: return "bytes";
    case HNB_UNIT_BITRATE: return "bit/s";
    case HNB_UNIT_RATE: return "1/s";
    case HNB_UNIT_FRACTION: return "fraction";
    case HNB_UNIT_NONE:
    default: return "";
    }
}
