/* results/grid.c — parsing a sweep's axes, numbering its points, and keeping the grid in sweep.ini.
 *
 * Ranges are computed in the key's own arithmetic so the values come out as a user would write them: integers in
 * int64, durations in exact nanoseconds (hnb_time_format prints 1.5s, not 1.4999999s), other units as the k-th
 * step from FROM (FROM + k*STEP, never a running sum, so errors do not accumulate) printed by hnb_units_format,
 * whose text parses back to the same double.
 */
#include "results/grid.h"

#include <math.h>
#include <string.h>

#define MAX_VALUES 100000  /* per axis */
#define MAX_POINTS 1000000 /* per grid: a million runs is more than any machine here finishes */

static void axis_free(gpointer p)
{
    HnbGridAxis *a = p;
    g_free(a->name);
    g_ptr_array_unref(a->values);
    g_array_unref(a->x);
    g_free(a->unit);
    g_free(a);
}

static HnbGridAxis *axis_new(const char *name, const char *unit)
{
    HnbGridAxis *a = g_new0(HnbGridAxis, 1);
    a->name = g_strdup(name);
    a->values = g_ptr_array_new_with_free_func(g_free);
    a->x = g_array_new(FALSE, FALSE, sizeof(double));
    a->unit = g_strdup(unit);
    return a;
}

HnbGrid *hnb_grid_new(void)
{
    HnbGrid *g = g_new0(HnbGrid, 1);
    g->axes = g_ptr_array_new_with_free_func(axis_free);
    return g;
}

void hnb_grid_free(HnbGrid *g)
{
    if (!g)
        return;
    g_ptr_array_unref(g->axes);
    g_free(g);
}

/* Split at `sep` where no parenthesis is open: "exp(1s),uniform(1s,2s)" is two values. */
static char **split_top(const char *text, char sep)
{
    GPtrArray *out = g_ptr_array_new();
    int depth = 0;
    const char *start = text;
    for (const char *p = text;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')' && depth > 0)
            depth--;
        if (*p == '\0' || (*p == sep && depth == 0)) {
            g_ptr_array_add(out, g_strstrip(g_strndup(start, (gsize)(p - start))));
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

char **hnb_grid_split(const char *text)
{
    char **parts = split_top(text ? text : "", ';');
    guint n = 0;
    for (guint i = 0; parts[i]; i++) {
        if (*parts[i])
            parts[n++] = parts[i];
        else
            g_free(parts[i]);
    }
    parts[n] = NULL;
    return parts;
}

/* A value of a number-like key in its base unit (INT: the integer; durations: ns). */
static gboolean parse_number(const HnbKeySpec *k, const char *text, double *v, int64_t *i, GError **error)
{
    if (k->type == HNB_KEY_INT) {
        gint64 n;
        GError *e = NULL;
        if (!g_ascii_string_to_signed(text, 10, G_MININT64, G_MAXINT64, &n, &e)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "\"%s\": expected an integer", text);
            g_error_free(e);
            return FALSE;
        }
        *i = n;
        *v = (double)n;
        return TRUE;
    }
    if (k->unit == HNB_UNIT_DURATION) {
        HnbTime t;
        if (!hnb_time_parse(text, &t, error))
            return FALSE;
        *i = t;
        *v = (double)t;
        return TRUE;
    }
    return hnb_units_parse(text, k->unit, v, error);
}

static char *format_number(const HnbKeySpec *k, double v, int64_t i)
{
    char buf[64];
    if (k->type == HNB_KEY_INT)
        return g_strdup_printf("%" G_GINT64_FORMAT, (gint64)i);
    if (k->unit == HNB_UNIT_DURATION)
        return g_strdup(hnb_time_format(i, buf, sizeof buf));
    return g_strdup(hnb_units_format(v, k->unit, buf, sizeof buf));
}

/* The x-axis number of a value already checked against its key. */
static double x_of(const HnbKeySpec *k, const char *text)
{
    double v;
    int64_t i;
    if (k->type != HNB_KEY_INT && k->type != HNB_KEY_NUMBER)
        return NAN;
    if (!parse_number(k, text, &v, &i, NULL))
        return NAN;
    return k->type == HNB_KEY_NUMBER && k->unit == HNB_UNIT_DURATION ? v / 1e9 : v;
}

/* FROM..TO[:STEP|xFACTOR] into values.  `spec` is the text after '='. */
static gboolean expand_range(const HnbKeySpec *k, const char *spec, const char *dots, GPtrArray *values,
                             gboolean *geometric, GError **error)
{
    if (k->type != HNB_KEY_INT && k->type != HNB_KEY_NUMBER) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "a range FROM..TO needs an integer or number key; [%s] %s takes %s values: list them (a,b,c)",
                    k->group, k->key,
                    k->type == HNB_KEY_DIST ? "distribution" : k->type == HNB_KEY_ENUM ? "enum" :
                    k->type == HNB_KEY_BOOL ? "bool" : "text");
        return FALSE;
    }
    g_autofree char *from = g_strstrip(g_strndup(spec, (gsize)(dots - spec)));
    g_autofree char *rest = g_strdup(dots + 2);
    char *step_text = NULL, *factor_text = NULL;
    char *colon = strchr(rest, ':'), *x = strrchr(rest, 'x');
    if (colon) {
        *colon = '\0';
        step_text = g_strstrip(colon + 1);
    } else if (x) {
        *x = '\0';
        factor_text = g_strstrip(x + 1);
    }
    char *to = g_strstrip(rest);
    double vf, vt, vs = 0, factor = 0;
    int64_t i_from, i_to, i_step = 1;
    GError *e = NULL;
    if (!parse_number(k, from, &vf, &i_from, &e) || !parse_number(k, to, &vt, &i_to, &e) ||
        (step_text && !parse_number(k, step_text, &vs, &i_step, &e))) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s", e->message);
        g_error_free(e);
        return FALSE;
    }
    if (factor_text) {
        char *end = NULL;
        factor = g_ascii_strtod(factor_text, &end);
        if (!*factor_text || *end || !(factor > 1) || !isfinite(factor)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "factor \"x%s\": expected a number > 1", factor_text);
            return FALSE;
        }
        if (!(vf > 0)) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "a geometric range (xFACTOR) must start above 0, not %s",
                        from);
            return FALSE;
        }
    }
    if (vf > vt) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "FROM %s is above TO %s", from, to);
        return FALSE;
    }
    gboolean exact = k->type == HNB_KEY_INT || k->unit == HNB_UNIT_DURATION; /* int64 arithmetic */
    if (!step_text && !factor_text) {
        if (k->type != HNB_KEY_INT) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                        "a range of [%s] %s (not an integer key) needs a step: FROM..TO:STEP or FROM..TOxFACTOR",
                        k->group, k->key);
            return FALSE;
        }
        i_step = 1;
    }
    if (step_text && (exact ? i_step <= 0 : !(vs > 0))) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "step %s: expected a step above 0", step_text);
        return FALSE;
    }
    *geometric = factor_text != NULL;
    for (guint n = 0;; n++) {
        if (n >= MAX_VALUES) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "more than %d values", MAX_VALUES);
            return FALSE;
        }
        double v;
        int64_t iv = 0;
        if (factor_text) {
            v = vf * pow(factor, n);
            if (v > (exact ? (double)i_to : vt) * (1 + 1e-12))
                break;
            if (exact) { /* integers and ns: to the nearest */
                iv = (int64_t)llround(v);
                v = (double)iv;
            }
        } else if (exact) {
            if (i_step > 0 && (i_to - i_from) / i_step < (int64_t)n)
                break;
            iv = i_from + (int64_t)n * i_step;
            v = (double)iv;
        } else {
            v = vf + n * vs;
            if (v > vt + vs * 1e-9)
                break;
        }
        char *text = format_number(k, v, iv);
        /* a geometric integer range can round two steps to one value (1..10x1.1): keep the first */
        if (values->len && strcmp(g_ptr_array_index(values, values->len - 1), text) == 0)
            g_free(text);
        else
            g_ptr_array_add(values, text);
    }
    return TRUE;
}

gboolean hnb_grid_add(HnbGrid *g, const HnbScenario *sc, const char *entry, const char *origin, GError **error)
{
    g_return_val_if_fail(g && sc && entry && origin, FALSE);
    const char *eq = strchr(entry, '=');
    const char *dot = eq ? memchr(entry, '.', (size_t)(eq - entry)) : NULL;
    if (!dot) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: expected GROUP.KEY=LIST or GROUP.KEY=FROM..TO[:STEP|xFACTOR], e.g. acs.workers=1..8", origin);
        return FALSE;
    }
    g_autofree char *group = g_strstrip(g_strndup(entry, (gsize)(dot - entry)));
    g_autofree char *key = g_strstrip(g_strndup(dot + 1, (gsize)(eq - dot - 1)));
    g_autofree char *spec = g_strstrip(g_strdup(eq + 1));
    g_autofree char *name = g_strdup_printf("%s.%s", group, key);
    const HnbKeySpec *k = hnb_scenario_spec(sc, group, key);
    GError *e = NULL;
    if (!k) {
        hnb_scenario_check_value(sc, group, key, "x", &e); /* the unknown-key message with its hint */
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", origin, e->message);
        g_error_free(e);
        return FALSE;
    }
    if (strcmp(group, "sweep") == 0 || strcmp(group, "size") == 0 || strcmp(group, "compare") == 0 ||
        strcmp(name, "scenario.replications") == 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [%s] %s describes the study itself and cannot be varied",
                    origin, group, key);
        return FALSE;
    }
    for (guint a = 0; a < g->axes->len; a++)
        if (strcmp(((HnbGridAxis *)g->axes->pdata[a])->name, name) == 0) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s is varied twice", origin, name);
            return FALSE;
        }
    if (!*spec) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: no values after \"%s=\"", origin, name);
        return FALSE;
    }

    const char *unit = k->type == HNB_KEY_NUMBER ? hnb_units_name(k->unit) : "";
    HnbGridAxis *axis = axis_new(name, k->type == HNB_KEY_NUMBER && k->unit == HNB_UNIT_FRACTION ? "" : unit);
    const char *dots = strstr(spec, "..");
    gboolean ok = TRUE;
    if (dots && k->type != HNB_KEY_STRING) { /* a text key may hold ".." (a path); no other value can */
        ok = expand_range(k, spec, dots, axis->values, &axis->geometric, &e);
    } else {
        g_auto(GStrv) items = split_top(spec, ',');
        for (char **it = items; ok && *it; it++) {
            if (!**it) {
                g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "an empty value in the list");
                ok = FALSE;
            }
            for (guint j = 0; ok && j < axis->values->len; j++)
                if (strcmp(axis->values->pdata[j], *it) == 0) {
                    g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "%s is listed twice", *it);
                    ok = FALSE;
                }
            if (ok)
                g_ptr_array_add(axis->values, g_strdup(*it));
        }
    }
    /* every value goes through the key's own parser and range, as if a file held it */
    for (guint j = 0; ok && j < axis->values->len; j++) {
        const char *v = axis->values->pdata[j];
        ok = hnb_scenario_check_value(sc, group, key, v, &e);
        double x = x_of(k, v);
        g_array_append_val(axis->x, x);
    }
    if (ok && axis->values->len == 0) {
        g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "the range holds no value");
        ok = FALSE;
    }
    if (ok && (double)hnb_grid_points(g) * axis->values->len > MAX_POINTS) {
        g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "the grid would have more than %d points", MAX_POINTS);
        ok = FALSE;
    }
    if (!ok) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s", origin, e->message);
        g_error_free(e);
        axis_free(axis);
        return FALSE;
    }
    g_ptr_array_add(g->axes, axis);
    return TRUE;
}

guint hnb_grid_points(const HnbGrid *g)
{
    guint n = 1;
    for (guint a = 0; a < g->axes->len; a++)
        n *= ((HnbGridAxis *)g->axes->pdata[a])->values->len;
    return n;
}

guint hnb_grid_index(const HnbGrid *g, guint point, guint axis)
{
    g_return_val_if_fail(axis < g->axes->len, 0);
    for (guint a = g->axes->len - 1; a > axis; a--)
        point /= ((HnbGridAxis *)g->axes->pdata[a])->values->len;
    return point % ((HnbGridAxis *)g->axes->pdata[axis])->values->len;
}

const char *hnb_grid_value(const HnbGrid *g, guint point, guint axis)
{
    const HnbGridAxis *a = g->axes->pdata[axis];
    return a->values->pdata[hnb_grid_index(g, point, axis)];
}

void hnb_grid_sets(const HnbGrid *g, guint point, GPtrArray *out)
{
    for (guint a = 0; a < g->axes->len; a++)
        g_ptr_array_add(out, g_strdup_printf("%s=%s", ((HnbGridAxis *)g->axes->pdata[a])->name,
                                             hnb_grid_value(g, point, a)));
}

char *hnb_grid_describe(const HnbGrid *g, guint point)
{
    GString *s = g_string_new(NULL);
    for (guint a = 0; a < g->axes->len; a++)
        g_string_append_printf(s, "%s%s=%s", a ? ", " : "", ((HnbGridAxis *)g->axes->pdata[a])->name,
                               hnb_grid_value(g, point, a));
    return g_string_free(s, FALSE);
}

/* ---- sweep.ini ---- */

static char *fmt_x(double v)
{
    if (isnan(v))
        return g_strdup("nan");
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_dtostr(buf, sizeof buf, v)); /* shortest text that reads back exactly */
}

void hnb_grid_save(const HnbGrid *g, GKeyFile *kf)
{
    for (guint a = 0; a < g->axes->len; a++) {
        const HnbGridAxis *ax = g->axes->pdata[a];
        g_autofree char *group = g_strdup_printf("axis %u", a);
        g_key_file_set_string(kf, group, "key", ax->name);
        g_key_file_set_string_list(kf, group, "values", (const char *const *)ax->values->pdata, ax->values->len);
        g_autoptr(GPtrArray) xs = g_ptr_array_new_with_free_func(g_free);
        for (guint j = 0; j < ax->x->len; j++)
            g_ptr_array_add(xs, fmt_x(g_array_index(ax->x, double, j)));
        g_key_file_set_string_list(kf, group, "x", (const char *const *)xs->pdata, xs->len);
        g_key_file_set_string(kf, group, "unit", ax->unit);
        g_key_file_set_boolean(kf, group, "geometric", ax->geometric);
    }
}

HnbGrid *hnb_grid_load(GKeyFile *kf, const char *source, GError **error)
{
    g_autoptr(HnbGrid) g = hnb_grid_new();
    for (guint a = 0;; a++) {
        g_autofree char *group = g_strdup_printf("axis %u", a);
        if (!g_key_file_has_group(kf, group))
            break;
        GError *e = NULL;
        g_autofree char *key = g_key_file_get_string(kf, group, "key", &e);
        gsize nv = 0, nx = 0;
        g_auto(GStrv) values = e ? NULL : g_key_file_get_string_list(kf, group, "values", &nv, &e);
        g_auto(GStrv) xs = e ? NULL : g_key_file_get_string_list(kf, group, "x", &nx, &e);
        g_autofree char *unit = e ? NULL : g_key_file_get_string(kf, group, "unit", &e);
        gboolean geometric = e ? FALSE : g_key_file_get_boolean(kf, group, "geometric", &e);
        if (!e && (nv == 0 || nv != nx))
            g_set_error(&e, HNB_ERROR, HNB_ERROR_INPUT, "values and x differ in length");
        if (e) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [%s]: %s", source, group, e->message);
            g_error_free(e);
            return NULL;
        }
        HnbGridAxis *ax = axis_new(key, unit);
        ax->geometric = geometric;
        for (gsize j = 0; j < nv; j++) {
            g_ptr_array_add(ax->values, g_strdup(values[j]));
            double x = strcmp(xs[j], "nan") == 0 ? NAN : g_ascii_strtod(xs[j], NULL);
            g_array_append_val(ax->x, x);
        }
        g_ptr_array_add(g->axes, ax);
    }
    return g_steal_pointer(&g);
}
