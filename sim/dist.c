/* sim/dist.c — parsing, formatting and sampling of the distributions in dist.h.
 *
 * Parameters per kind, all in the unit's base except where marked plain:
 *   CONST      a = value
 *   UNIFORM    a = lower bound, b = upper bound (a <= b)
 *   EXP        a = mean (> 0)
 *   NORMAL     a = mean, b = sd (>= 0); for every unit but HNB_UNIT_NONE the law is truncated to [0, inf)
 *   LOGNORMAL  a = median (> 0), b = sigma of ln X (plain, >= 0)
 *   WEIBULL    a = shape k (plain, > 0), b = scale lambda (> 0)
 *   EMPIRICAL  value[0..n), cum[0..n) with cum[n-1] == 1
 * Every unit but HNB_UNIT_NONE is non-negative, so its values are refused below 0.
 *
 * Empirical probabilities are rounded to multiples of 2^-53.  That costs nothing a 52-bit uniform could see, and it
 * makes the text round trip exact: each probability cum[i] - cum[i-1] is then an exact double, the formatted weights
 * sum to exactly 1 without rounding, and parsing them rebuilds the same cum bit for bit.
 */
#include "sim/dist.h"

#include <math.h>
#include <string.h>

static const char kind_list[] = "const, uniform, exp, normal, lognormal, weibull, empirical";

static const struct {
    const char *name;
    HnbDistKind kind;
    guint nargs; /* 0: a list of 1..HNB_DIST_TABLE_MAX entries */
    const char *args;
} kinds[] = {
    {"const", HNB_DIST_CONST, 1, "value"},
    {"uniform", HNB_DIST_UNIFORM, 2, "a,b"},
    {"exp", HNB_DIST_EXP, 1, "mean"},
    {"normal", HNB_DIST_NORMAL, 2, "mean,sd"},
    {"lognormal", HNB_DIST_LOGNORMAL, 2, "median,sigma"},
    {"weibull", HNB_DIST_WEIBULL, 2, "shape,scale"},
    {"empirical", HNB_DIST_EMPIRICAL, 0, "value:weight, ..."},
};

static gboolean fail(GError **error, const char *text, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Sets `"text": message` and returns FALSE. */
static gboolean fail(GError **error, const char *text, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": %s", text, msg);
    return FALSE;
}

/* Parses one argument `arg` of `text` in unit u; `what` names it in messages ("exponential mean"). */
static gboolean value(const char *text, const char *arg, HnbUnit u, const char *what, double *out, GError **error)
{
    GError *e = NULL;
    if (*arg == '\0')
        return fail(error, text, "%s is missing", what);
    if (!hnb_units_parse(arg, u, out, &e)) {
        /* re-set rather than prefix, so the domain and code are ours whatever units.c used */
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": %s: %s", text, what, e->message);
        g_error_free(e);
        return FALSE;
    }
    if (!isfinite(*out))
        return fail(error, text, "%s \"%s\" is not a finite number", what, arg);
    if (*out == 0)
        *out = 0; /* -0 would format as "-0" and compare unequal bitwise after a round trip */
    if (u != HNB_UNIT_NONE && *out < 0)
        return fail(error, text, "%s must be >= 0, got \"%s\"", what, arg);
    return TRUE;
}

static gboolean parse_empirical(const char *text, char **argv, guint argc, HnbDist *d, GError **error)
{
    double partial[HNB_DIST_TABLE_MAX];
    double total = 0;

    if (argc > HNB_DIST_TABLE_MAX)
        return fail(error, text, "empirical has %u entries, at most %d are allowed", argc, HNB_DIST_TABLE_MAX);
    for (guint i = 0; i < argc; i++) {
        char *colon = strrchr(argv[i], ':');
        double w;
        if (!colon)
            return fail(error, text, "empirical entry \"%s\" is not value:weight", argv[i]);
        *colon = '\0';
        if (!value(text, g_strstrip(argv[i]), d->unit, "empirical value", &d->value[i], error) ||
            !value(text, g_strstrip(colon + 1), HNB_UNIT_NONE, "empirical weight", &w, error))
            return FALSE;
        if (w <= 0)
            return fail(error, text, "empirical weight must be > 0, got \"%s\"", colon + 1);
        total += w;
        partial[i] = total;
    }
    if (!isfinite(total))
        return fail(error, text, "empirical weights sum to more than a double holds");

    double prev = 0;
    for (guint i = 0; i < argc; i++) {
        double c = nearbyint(partial[i] / total * 0x1p53) * 0x1p-53;
        if (c <= prev)
            return fail(error, text, "empirical entry %u has a weight below 2^-53 of the total", i + 1);
        d->cum[i] = prev = c;
    }
    d->n = argc;
    return TRUE;
}

/* Reads the arguments of kind d->kind into d and checks the constraints between them. */
static gboolean parse_args(const char *text, char **argv, guint argc, HnbDist *d, GError **error)
{
    HnbUnit u = d->unit;
    switch (d->kind) {
    case HNB_DIST_CONST:
        return value(text, argv[0], u, "constant", &d->a, error);
    case HNB_DIST_UNIFORM:
        if (!value(text, argv[0], u, "uniform lower bound a", &d->a, error) ||
            !value(text, argv[1], u, "uniform upper bound b", &d->b, error))
            return FALSE;
        if (d->a > d->b)
            return fail(error, text, "uniform needs a <= b, got a = %s > b = %s", argv[0], argv[1]);
        return TRUE;
    case HNB_DIST_EXP:
        if (!value(text, argv[0], u, "exponential mean", &d->a, error))
            return FALSE;
        if (d->a <= 0)
            return fail(error, text, "exponential mean must be > 0");
        return TRUE;
    case HNB_DIST_NORMAL:
        if (!value(text, argv[0], u, "normal mean", &d->a, error) ||
            !value(text, argv[1], u, "normal sd", &d->b, error))
            return FALSE;
        if (d->b < 0)
            return fail(error, text, "normal sd must be >= 0");
        return TRUE;
    case HNB_DIST_LOGNORMAL:
        if (!value(text, argv[0], u, "lognormal median", &d->a, error) ||
            !value(text, argv[1], HNB_UNIT_NONE, "lognormal sigma", &d->b, error))
            return FALSE;
        if (d->a <= 0)
            return fail(error, text, "lognormal median must be > 0");
        if (d->b < 0)
            return fail(error, text, "lognormal sigma must be >= 0");
        return TRUE;
    case HNB_DIST_WEIBULL:
        if (!value(text, argv[0], HNB_UNIT_NONE, "weibull shape", &d->a, error) ||
            !value(text, argv[1], u, "weibull scale", &d->b, error))
            return FALSE;
        if (d->a <= 0)
            return fail(error, text, "weibull shape must be > 0");
        if (d->b <= 0)
            return fail(error, text, "weibull scale must be > 0");
        return TRUE;
    case HNB_DIST_EMPIRICAL:
        return parse_empirical(text, argv, argc, d, error);
    }
    g_return_val_if_reached(FALSE);
}

gboolean hnb_dist_parse(const char *text, HnbUnit unit, HnbDist *out, GError **error)
{
    g_return_val_if_fail(text != NULL, FALSE);
    g_return_val_if_fail(out != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

    HnbDist d;
    memset(&d, 0, sizeof d); /* unused table slots stay 0, so equal texts give equal structs */
    d.unit = unit;

    g_autofree char *s = g_strstrip(g_strdup(text));
    const char *name_end = s;
    while (g_ascii_isalpha(*name_end) || *name_end == '_')
        name_end++;
    const char *open = name_end;
    while (g_ascii_isspace(*open))
        open++;

    if (*s == '\0')
        return fail(error, text, "empty (expected a value or a distribution such as exp(30s))");

    gboolean ok;
    if (name_end == s || *open != '(') {
        /* a bare value; anything else that is not name(...) lands here too and units.c says what is wrong */
        char *argv[] = {s, NULL};
        d.kind = HNB_DIST_CONST;
        ok = parse_args(text, argv, 1, &d, error);
    } else {
        g_autofree char *name = g_strndup(s, (gsize)(name_end - s));
        guint k = 0;
        while (k < G_N_ELEMENTS(kinds) && strcmp(kinds[k].name, name) != 0)
            k++;
        if (k == G_N_ELEMENTS(kinds))
            return fail(error, text, "unknown distribution \"%s\" (expected %s)", name, kind_list);

        const char *close = strchr(open, ')');
        if (!close)
            return fail(error, text, "missing ')' (expected %s(%s))", name, kinds[k].args);
        if (close[1] != '\0')
            return fail(error, text, "unexpected \"%s\" after ')' (expected %s(%s))", close + 1, name, kinds[k].args);

        g_autofree char *inner = g_strndup(open + 1, (gsize)(close - open - 1));
        g_auto(GStrv) argv = g_strsplit(inner, ",", -1);
        guint argc = g_strv_length(argv);
        for (guint i = 0; i < argc; i++)
            g_strstrip(argv[i]);
        if (argc == 1 && argv[0][0] == '\0')
            argc = 0; /* "exp()" has no argument, not one empty one */

        if (kinds[k].nargs ? argc != kinds[k].nargs : argc == 0)
            return fail(error, text, "%s takes %s%u argument%s (%s), got %u", name, kinds[k].nargs ? "" : "at least ",
                        kinds[k].nargs ? kinds[k].nargs : 1, kinds[k].nargs > 1 ? "s" : "", kinds[k].args, argc);
        d.kind = kinds[k].kind;
        ok = parse_args(text, argv, argc, &d, error);
    }
    if (!ok)
        return FALSE;
    /* a huge sigma or a tiny Weibull shape gives a law whose mean overflows; no scenario means that */
    if (!isfinite(hnb_dist_mean(&d)))
        return fail(error, text, "the mean of this distribution is not a finite number");
    *out = d;
    return TRUE;
}

gboolean hnb_dist_equal(const HnbDist *x, const HnbDist *y)
{
    if (x->kind != y->kind || x->unit != y->unit || x->a != y->a || x->b != y->b || x->n != y->n)
        return FALSE;
    for (unsigned i = 0; i < x->n; i++)
        if (x->value[i] != y->value[i] || x->cum[i] != y->cum[i])
            return FALSE;
    return TRUE;
}

/* Prints the probabilities with the fewest significant digits (the same count for all) that read back to the same
 * table and stay within 2^-52 of the true probabilities, so the text shows 0.2 rather than 0.19999999999999996 when
 * that is what the user wrote.  17 digits print each (dyadic) probability exactly, which always round-trips. */
static void format_empirical(const HnbDist *d, char *buf, size_t n)
{
    for (int digits = 1; digits <= 17; digits++) {
        g_autoptr(GString) s = g_string_new("empirical(");
        gboolean close = TRUE;
        char fmt[8];
        g_snprintf(fmt, sizeof fmt, "%%.%dg", digits);
        for (unsigned i = 0; i < d->n; i++) {
            char v[64], w[G_ASCII_DTOSTR_BUF_SIZE];
            double p = d->cum[i] - (i ? d->cum[i - 1] : 0);
            g_ascii_formatd(w, sizeof w, fmt, p);
            close = close && fabs(g_ascii_strtod(w, NULL) - p) <= 0x1p-52;
            g_string_append_printf(s, "%s%s:%s", i ? ", " : "", hnb_units_format(d->value[i], d->unit, v, sizeof v), w);
        }
        g_string_append_c(s, ')');
        HnbDist back;
        if (digits == 17 || (close && hnb_dist_parse(s->str, d->unit, &back, NULL) && hnb_dist_equal(&back, d))) {
            g_strlcpy(buf, s->str, n);
            return;
        }
    }
}

char *hnb_dist_format(const HnbDist *d, char *buf, size_t n)
{
    char x[64], y[64];
    g_return_val_if_fail(d != NULL && buf != NULL && n > 0, buf);

    switch (d->kind) {
    case HNB_DIST_CONST:
        hnb_units_format(d->a, d->unit, buf, n);
        break;
    case HNB_DIST_UNIFORM:
        g_snprintf(buf, n, "uniform(%s,%s)", hnb_units_format(d->a, d->unit, x, sizeof x),
                   hnb_units_format(d->b, d->unit, y, sizeof y));
        break;
    case HNB_DIST_EXP:
        g_snprintf(buf, n, "exp(%s)", hnb_units_format(d->a, d->unit, x, sizeof x));
        break;
    case HNB_DIST_NORMAL:
        g_snprintf(buf, n, "normal(%s,%s)", hnb_units_format(d->a, d->unit, x, sizeof x),
                   hnb_units_format(d->b, d->unit, y, sizeof y));
        break;
    case HNB_DIST_LOGNORMAL:
        g_snprintf(buf, n, "lognormal(%s,%s)", hnb_units_format(d->a, d->unit, x, sizeof x),
                   hnb_units_format(d->b, HNB_UNIT_NONE, y, sizeof y));
        break;
    case HNB_DIST_WEIBULL:
        g_snprintf(buf, n, "weibull(%s,%s)", hnb_units_format(d->a, HNB_UNIT_NONE, x, sizeof x),
                   hnb_units_format(d->b, d->unit, y, sizeof y));
        break;
    case HNB_DIST_EMPIRICAL:
        format_empirical(d, buf, n);
        break;
    default:
        g_return_val_if_reached(buf);
    }
    return buf;
}

double hnb_exp_from_uniform(double mean, double u)
{
    return -mean * log(u);
}

/* Box-Muller (Box and Muller 1958), keeping only the cosine half: a stateless draw cannot hold the sine half for
 * the next call, and two uniforms per normal keeps the counter arithmetic simple for models. */
static double std_normal(HnbRng *r)
{
    double u1 = hnb_rng_next(r);
    double u2 = hnb_rng_next(r);
    return sqrt(-2 * log(u1)) * cos(2 * G_PI * u2);
}

double hnb_dist_sample(const HnbDist *d, HnbRng *r)
{
    switch (d->kind) {
    case HNB_DIST_CONST:
        /* consume a draw like exp() does, so a variant that swaps exp(30s) for const(30s) leaves the later draws of
         * this cursor where they were */
        r->counter++;
        return d->a;
    case HNB_DIST_UNIFORM: {
        double v = d->a + (d->b - d->a) * hnb_rng_next(r);
        return v < d->b ? v : d->b; /* b - a may round up */
    }
    case HNB_DIST_EXP:
        return hnb_exp_from_uniform(d->a, hnb_rng_next(r));
    case HNB_DIST_NORMAL:
        for (;;) {
            /* redraw below 0: acceptance is >= 1/2 because parse keeps the mean >= 0 for non-negative units */
            double v = d->a + d->b * std_normal(r);
            if (v >= 0 || d->unit == HNB_UNIT_NONE)
                return v;
        }
    case HNB_DIST_LOGNORMAL:
        return d->a * exp(d->b * std_normal(r));
    case HNB_DIST_WEIBULL:
        return d->b * pow(-log(hnb_rng_next(r)), 1 / d->a);
    case HNB_DIST_EMPIRICAL: {
        /* the first entry whose cumulative probability exceeds u; cum[n-1] == 1 > u ends the search */
        double u = hnb_rng_next(r);
        unsigned lo = 0, hi = d->n - 1;
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (u < d->cum[mid])
                hi = mid;
            else
                lo = mid + 1;
        }
        return d->value[lo];
    }
    }
    g_return_val_if_reached(0);
}

double hnb_dist_mean(const HnbDist *d)
{
    switch (d->kind) {
    case HNB_DIST_CONST:
    case HNB_DIST_EXP:
        return d->a;
    case HNB_DIST_UNIFORM:
        return d->a + 0.5 * (d->b - d->a);
    case HNB_DIST_NORMAL: {
        if (d->unit == HNB_UNIT_NONE || d->b == 0)
            return d->a;
        /* normal truncated to [0, inf): mean + sd * phi(alpha) / (1 - Phi(alpha)), alpha = (0 - mean) / sd
         * (Johnson, Kotz, Balakrishnan, Continuous Univariate Distributions vol. 1, sec. 10.1) */
        double alpha = -d->a / d->b;
        double phi = exp(-0.5 * alpha * alpha) / sqrt(2 * G_PI);
        double tail = 0.5 * erfc(alpha / G_SQRT2);
        return d->a + d->b * phi / tail;
    }
    case HNB_DIST_LOGNORMAL:
        return d->a * exp(0.5 * d->b * d->b);
    case HNB_DIST_WEIBULL:
        return d->b * tgamma(1 + 1 / d->a);
    case HNB_DIST_EMPIRICAL: {
        double m = 0, prev = 0;
        for (unsigned i = 0; i < d->n; i++) {
            m += d->value[i] * (d->cum[i] - prev);
            prev = d->cum[i];
        }
        return m;
    }
    }
    g_return_val_if_reached(0);
}

void hnb_dist_scale(HnbDist *d, double f)
{
    g_return_if_fail(f > 0 && isfinite(f));
    switch (d->kind) {
    case HNB_DIST_CONST:
    case HNB_DIST_EXP:
    case HNB_DIST_LOGNORMAL: /* the median scales; sigma of ln X does not */
        d->a *= f;
        return;
    case HNB_DIST_UNIFORM:
    case HNB_DIST_NORMAL: /* both bounds; mean and sd */
        d->a *= f;
        d->b *= f;
        return;
    case HNB_DIST_WEIBULL: /* the scale lambda; the shape k does not */
        d->b *= f;
        return;
    case HNB_DIST_EMPIRICAL:
        for (unsigned i = 0; i < d->n; i++)
            d->value[i] *= f;
        return;
    }
}
