/* sim/scenario.c — scenario files: a line scanner in front of GKeyFile, driven by the schema tables.
 *
 * Loading stops at the first problem and runs in passes:
 *   1. scan:     a light line scanner walks the text (blank lines, # and ; comments, [group] headers, key = value)
 *                and checks the structure against the schema: syntax, unknown groups and keys (with a suggestion),
 *                duplicate groups and keys, locale suffixes.  It records the line of every key for later messages.
 *   2. GKeyFile: reads a normalised copy holding exactly the scanned groups and keys, and unescapes the values
 *                (\s \n \t \r \\), so values keep GKeyFile semantics: inner spaces kept, "#" inside a value is text.
 *   3. values:   each file value is validated against its spec in file order, then each --set in command order.
 *   4. defaults: every key not given takes its default; a missing required key is an error.  (Every default is
 *                parsed on every load, before the file: a default its own key refuses is a bug in the table, g_error.)
 * Why scan ourselves at all: GKeyFile's parse errors carry no line number, it silently merges a repeated [group] and
 * lets the last of two equal keys win, and it takes ";" lines for keys.  The scanner is stricter than GKeyFile, so
 * anything it accepts GKeyFile accepts too.
 *
 * The resolved scenario holds one Value per known key, in schema order (groups by first appearance over the tables,
 * keys in table order): the text it resolved to plus the parsed value.  It points at the schema tables, which must
 * outlive it (they are static tables in practice).
 */
#include "sim/scenario.h"

#include <math.h>
#include <string.h>

/* ---- the schema ------------------------------------------------------------------------------------------------ */

typedef struct {
    GPtrArray *specs;  /* const HnbKeySpec *, groups by first appearance, keys in table order */
    GPtrArray *groups; /* const char *, first-appearance order */
    GHashTable *index; /* group -> GHashTable (key -> const HnbKeySpec *) */
} Schema;

static void schema_init(Schema *s, const HnbKeySpec *const *schemas)
{
    s->specs = g_ptr_array_new();
    s->groups = g_ptr_array_new();
    s->index = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_hash_table_unref);
    for (const HnbKeySpec *const *t = schemas; t && *t; t++) {
        for (const HnbKeySpec *k = *t; k->group; k++) {
            GHashTable *keys = g_hash_table_lookup(s->index, k->group);
            if (!keys) {
                keys = g_hash_table_new(g_str_hash, g_str_equal);
                g_hash_table_insert(s->index, (gpointer)k->group, keys);
                g_ptr_array_add(s->groups, (gpointer)k->group);
            }
            if (!k->key || g_hash_table_contains(keys, k->key))
                g_error("scenario schema: [%s] %s is defined twice (or has no key name)", k->group,
                        k->key ? k->key : "(null)");
            if (k->type == HNB_KEY_ENUM && (!k->choices || !*k->choices))
                g_error("scenario schema: [%s] %s is an enum without choices", k->group, k->key);
            g_hash_table_insert(keys, (gpointer)k->key, (gpointer)k);
        }
    }
    /* a group may be spread over several tables; its keys still come out together */
    for (guint g = 0; g < s->groups->len; g++)
        for (const HnbKeySpec *const *t = schemas; t && *t; t++)
            for (const HnbKeySpec *k = *t; k->group; k++)
                if (strcmp(k->group, s->groups->pdata[g]) == 0)
                    g_ptr_array_add(s->specs, (gpointer)k);
}

static void schema_clear(Schema *s)
{
    g_ptr_array_unref(s->specs);
    g_ptr_array_unref(s->groups);
    g_hash_table_unref(s->index);
}

static const HnbKeySpec *schema_lookup(const Schema *s, const char *group, const char *key)
{
    GHashTable *keys = g_hash_table_lookup(s->index, group);
    return keys ? g_hash_table_lookup(keys, key) : NULL;
}

/* ---- did you mean ---------------------------------------------------------------------------------------------- */

/* Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), ASCII case folded.  Callers only
 * ask for strings whose lengths differ by at most 2, and keys are short, so the three rows stay small. */
static guint edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    g_autofree guint *rows = g_new(guint, 3 * (m + 1));
    guint *prev2 = rows, *prev = rows + (m + 1), *cur = rows + 2 * (m + 1);

    for (size_t j = 0; j <= m; j++)
        prev[j] = (guint)j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = (guint)i;
        for (size_t j = 1; j <= m; j++) {
            char ca = g_ascii_tolower(a[i - 1]), cb = g_ascii_tolower(b[j - 1]);
            guint best = MIN(prev[j] + 1, cur[j - 1] + 1);
            best = MIN(best, prev[j - 1] + (ca != cb));
            if (i > 1 && j > 1 && ca == g_ascii_tolower(b[j - 2]) && g_ascii_tolower(a[i - 2]) == cb)
                best = MIN(best, prev2[j - 2] + 1);
            cur[j] = best;
        }
        guint *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

static gboolean has_prefix_nocase(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strlen(s) >= n && g_ascii_strncasecmp(s, prefix, n) == 0;
}

/* How close `typed` is to `known`: 0..2 the edit distance, 3 a prefix match either way, G_MAXUINT not close.
 * Short names allow fewer edits (one per three characters, at least one), else "sce" would suggest "acs" before
 * the prefix match "scenario", and "ab" would suggest "cd". */
static guint closeness(const char *typed, const char *known)
{
    size_t n = strlen(typed), m = strlen(known);
    if (n <= m + 2 && m <= n + 2) {
        guint d = edit_distance(typed, n, known, m);
        if (d <= MIN(2, MAX(1, MAX(n, m) / 3)))
            return d;
    }
    if (n > 0 && m > 0 && (has_prefix_nocase(known, typed) || has_prefix_nocase(typed, known)))
        return 3;
    return G_MAXUINT;
}

/* The closest of `candidates` (const char *) to `typed`, first one on ties; NULL when none is close. */
static const char *closest(const char *typed, GPtrArray *candidates)
{
    const char *best = NULL;
    guint best_score = G_MAXUINT;
    for (guint i = 0; i < candidates->len; i++) {
        guint score = closeness(typed, candidates->pdata[i]);
        if (score < best_score) {
            best_score = score;
            best = candidates->pdata[i];
        }
    }
    return best;
}

/* " (did you mean [acs]?)" or " (known groups: [scenario], [acs])" for an unknown group. */
static char *group_hint(const Schema *s, const char *group)
{
    const char *near = closest(group, s->groups);
    if (near)
        return g_strdup_printf(" (did you mean [%s]?)", near);
    g_autoptr(GString) all = g_string_new(" (known groups:");
    for (guint i = 0; i < s->groups->len; i++)
        g_string_append_printf(all, "%s [%s]", i ? "," : "", (const char *)s->groups->pdata[i]);
    g_string_append_c(all, ')');
    return g_string_free(g_steal_pointer(&all), FALSE);
}

/* For an unknown key in a known group: a close key of the same group, else the same key name in another group,
 * else the list of the group's keys. */
static char *key_hint(const Schema *s, const char *group, const char *key)
{
    g_autoptr(GPtrArray) same = g_ptr_array_new();
    for (guint i = 0; i < s->specs->len; i++) {
        const HnbKeySpec *k = s->specs->pdata[i];
        if (strcmp(k->group, group) == 0)
            g_ptr_array_add(same, (gpointer)k->key);
    }
    const char *near = closest(key, same);
    if (near)
        return g_strdup_printf(" (did you mean \"%s\"?)", near);
    for (guint i = 0; i < s->specs->len; i++) {
        const HnbKeySpec *k = s->specs->pdata[i];
        if (strcmp(k->key, key) == 0)
            return g_strdup_printf(" (did you mean [%s] %s?)", k->group, k->key);
    }
    g_autoptr(GString) all = g_string_new(" (known keys:");
    for (guint i = 0; i < same->len; i++)
        g_string_append_printf(all, "%s %s", i ? "," : "", (const char *)same->pdata[i]);
    g_string_append_c(all, ')');
    return g_string_free(g_steal_pointer(&all), FALSE);
}

/* ---- values ---------------------------------------------------------------------------------------------------- */

typedef struct {
    const HnbKeySpec *spec;
    char *text;    /* as resolved: file value (unescaped), --set value or default; NULL until resolved */
    int64_t i;     /* INT, BOOL (0/1) */
    double num;    /* NUMBER, in the unit's base */
    HnbTime time;  /* NUMBER in DURATION, exact */
    HnbDist *dist; /* DIST */
    gboolean given; /* set by the file or a --set (not the default, not resolved by a model) */
    char *note;     /* why a model resolved it (hnb_scenario_resolve), written above it in the resolved file */
    int line;      /* the file line that set it; 0 for a default or a --set */
} Value;

static void value_clear(Value *v)
{
    g_clear_pointer(&v->text, g_free);
    g_clear_pointer(&v->dist, g_free);
    g_clear_pointer(&v->note, g_free);
}

/* "a duration", "durations" and the like for messages. */
static const char *unit_noun(HnbUnit u, gboolean plural)
{
    switch (u) {
    case HNB_UNIT_DURATION: return plural ? "durations" : "a duration";
    case HNB_UNIT_SIZE: return plural ? "sizes" : "a size";
    case HNB_UNIT_BITRATE: return plural ? "bit rates" : "a bit rate";
    case HNB_UNIT_RATE: return plural ? "rates" : "a rate";
    case HNB_UNIT_FRACTION: return plural ? "fractions" : "a fraction";
    case HNB_UNIT_NONE:
    default: return plural ? "numbers" : "a number";
    }
}

/* " in 1..10", " >= 1s", " <= 5" or "" from the spec's bounds. */
static char *range_text(const HnbKeySpec *k)
{
    if (k->min && k->max)
        return g_strdup_printf(" in %s..%s", k->min, k->max);
    if (k->min)
        return g_strdup_printf(" >= %s", k->min);
    if (k->max)
        return g_strdup_printf(" <= %s", k->max);
    return g_strdup("");
}

static gboolean parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    gboolean neg = FALSE;
    uint64_t v = 0;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!g_ascii_isdigit(*p))
        return FALSE;
    for (; g_ascii_isdigit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return FALSE;
        v = v * 10 + d;
    }
    if (*p)
        return FALSE;
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return FALSE;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return FALSE;
        *out = (int64_t)v;
    }
    return TRUE;
}

/* A bound of the schema; an unreadable one is a bug in the table. */
static int64_t bound_int(const HnbKeySpec *k, const char *text)
{
    int64_t v;
    if (!parse_int(text, &v))
        g_error("scenario schema: [%s] %s: bound \"%s\" is not an integer", k->group, k->key, text);
    return v;
}

static double bound_number(const HnbKeySpec *k, const char *text)
{
    double v;
    g_autoptr(GError) e = NULL;
    if (!hnb_units_parse(text, k->unit, &v, &e))
        g_error("scenario schema: [%s] %s: bound \"%s\": %s", k->group, k->key, text, e->message);
    return v;
}

static gboolean in_range(const HnbKeySpec *k, double lo, double hi)
{
    return (!k->min || lo >= bound_number(k, k->min)) && (!k->max || hi <= bound_number(k, k->max));
}

/* Sets `why` from a sub-parser's message, dropping its leading `"text": ` (ours already quotes the value). */
static gboolean reason_from(GError **why, const GError *sub, const char *text)
{
    const char *m = sub->message;
    g_autofree char *quoted = g_strdup_printf("\"%s\": ", text);
    if (g_str_has_prefix(m, quoted))
        m += strlen(quoted);
    g_set_error_literal(why, HNB_ERROR, HNB_ERROR_INPUT, m);
    return FALSE;
}

static gboolean parse_enum(const HnbKeySpec *k, const char *text, GError **why)
{
    g_auto(GStrv) choices = g_strsplit(k->choices, "|", -1);
    for (char **c = choices; *c; c++)
        if (strcmp(*c, text) == 0)
            return TRUE;
    g_autofree char *list = g_strjoinv(", ", choices);
    g_autoptr(GPtrArray) cands = g_ptr_array_new();
    for (char **c = choices; *c; c++)
        g_ptr_array_add(cands, *c);
    const char *near = closest(text, cands);
    g_autofree char *hint = near ? g_strdup_printf(" (did you mean \"%s\"?)", near) : g_strdup("");
    g_set_error(why, HNB_ERROR, HNB_ERROR_INPUT, "expected one of: %s%s", list, hint);
    return FALSE;
}

static gboolean parse_bool(const char *text, int64_t *out, GError **why)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return TRUE;
        }
        if (g_ascii_strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return TRUE;
        }
    }
    g_set_error_literal(why, HNB_ERROR, HNB_ERROR_INPUT, "expected true/false, yes/no, on/off or 1/0");
    return FALSE;
}

static gboolean parse_number(const HnbKeySpec *k, const char *text, Value *v, GError **why)
{
    g_autoptr(GError) sub = NULL;
    gboolean ok;

    if (k->unit == HNB_UNIT_DURATION) {
        /* straight to the exact integer parser: a double holds whole ns only up to 2^53 (104 days) */
        ok = hnb_time_parse(text, &v->time, &sub);
        v->num = (double)v->time;
    } else {
        ok = hnb_units_parse(text, k->unit, &v->num, &sub);
    }
    if (!ok)
        return reason_from(why, sub, text);
    gboolean fits;
    if (k->unit == HNB_UNIT_DURATION) {
        HnbTime lo = 0, hi = 0;
        if (k->min && !hnb_time_parse(k->min, &lo, NULL))
            bound_number(k, k->min); /* reports the bad bound */
        if (k->max && !hnb_time_parse(k->max, &hi, NULL))
            bound_number(k, k->max);
        fits = (!k->min || v->time >= lo) && (!k->max || v->time <= hi);
    } else {
        fits = in_range(k, v->num, v->num);
    }
    if (!fits) {
        g_autofree char *range = range_text(k);
        g_set_error(why, HNB_ERROR, HNB_ERROR_INPUT, "expected %s%s", unit_noun(k->unit, FALSE), range);
        return FALSE;
    }
    return TRUE;
}

/* The smallest and largest value a distribution can give (+-inf when unbounded). */
static void dist_support(const HnbDist *d, double *lo, double *hi)
{
    switch (d->kind) {
    case HNB_DIST_CONST:
        *lo = *hi = d->a;
        return;
    case HNB_DIST_UNIFORM:
        *lo = d->a;
        *hi = d->b;
        return;
    case HNB_DIST_EMPIRICAL:
        *lo = INFINITY;
        *hi = -INFINITY;
        for (unsigned i = 0; i < d->n; i++) {
            *lo = MIN(*lo, d->value[i]);
            *hi = MAX(*hi, d->value[i]);
        }
        return;
    case HNB_DIST_NORMAL:
        *lo = d->unit == HNB_UNIT_NONE ? -INFINITY : 0; /* truncated at 0 for non-negative units */
        *hi = INFINITY;
        return;
    case HNB_DIST_EXP:
    case HNB_DIST_WEIBULL:
    case HNB_DIST_LOGNORMAL:
    default:
        *lo = d->a < 0 && d->kind == HNB_DIST_EXP ? -INFINITY : 0;
        *hi = INFINITY;
        return;
    }
}

static gboolean parse_dist(const HnbKeySpec *k, const char *text, Value *v, GError **why)
{
    g_autoptr(GError) sub = NULL;
    HnbDist d;
    double lo, hi;

    if (!hnb_dist_parse(text, k->unit, &d, &sub))
        return reason_from(why, sub, text);
    dist_support(&d, &lo, &hi);
    /* dist.c refuses negative values in non-negative units already; this keeps the promise whatever it does */
    if (k->unit != HNB_UNIT_NONE && lo < 0) {
        g_set_error(why, HNB_ERROR, HNB_ERROR_INPUT, "expected a distribution of %s, which cannot be negative",
                    unit_noun(k->unit, TRUE));
        return FALSE;
    }
    /* only a finite support can be checked against the range: exp(30s) has no largest value */
    if (isfinite(lo) && isfinite(hi) && !in_range(k, lo, hi)) {
        g_autofree char *range = range_text(k);
        char a[64], b[64];
        hnb_units_format(lo, k->unit, a, sizeof a);
        hnb_units_format(hi, k->unit, b, sizeof b);
        g_set_error(why, HNB_ERROR, HNB_ERROR_INPUT, "expected a distribution of %s%s (its values span %s..%s)",
                    unit_noun(k->unit, TRUE), range, a, b);
        return FALSE;
    }
    v->dist = g_memdup2(&d, sizeof d);
    return TRUE;
}

/* Parses `text` for spec k into v (taking a copy of the text).  On failure sets `why` to the reason alone
 * ("expected ..."); the caller says where. */
static gboolean parse_value(const HnbKeySpec *k, const char *text, Value *v, GError **why)
{
    Value nv = {.spec = k};
    gboolean ok = TRUE;

    if (*text == '\0') {
        g_set_error_literal(why, HNB_ERROR, HNB_ERROR_INPUT, "empty value");
        return FALSE;
    }
    switch (k->type) {
    case HNB_KEY_STRING:
        break;
    case HNB_KEY_ENUM:
        ok = parse_enum(k, text, why);
        break;
    case HNB_KEY_BOOL:
        ok = parse_bool(text, &nv.i, why);
        break;
    case HNB_KEY_INT: {
        g_autofree char *range = range_text(k);
        if (!parse_int(text, &nv.i) || (k->min && nv.i < bound_int(k, k->min)) ||
            (k->max && nv.i > bound_int(k, k->max))) {
            g_set_error(why, HNB_ERROR, HNB_ERROR_INPUT, "expected an integer%s", range);
            ok = FALSE;
        }
        break;
    }
    case HNB_KEY_NUMBER:
        ok = parse_number(k, text, &nv, why);
        break;
    case HNB_KEY_DIST:
        ok = parse_dist(k, text, &nv, why);
        break;
    default:
        g_error("scenario schema: [%s] %s has unknown type %d", k->group, k->key, (int)k->type);
    }
    if (!ok) {
        value_clear(&nv);
        return FALSE;
    }
    nv.text = g_strdup(text);
    value_clear(v);
    *v = nv;
    return TRUE;
}

/* `<where>: <why>[; hint] (<doc>)`, where `where` is `FILE:LINE: [group] key = "value"` or `--set group.key=value`. */
static void value_error(GError **error, const char *where, const HnbKeySpec *k, const char *text, const GError *why)
{
    /* GKeyFile keeps "# note" as part of the value; say so when that is the likely cause */
    gboolean comment = k->type != HNB_KEY_STRING && (strchr(text, '#') || strchr(text, ';'));
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: %s%s%s%s%s", where, why->message,
                comment ? "; inline comments are not allowed" : "", k->doc ? " (" : "", k->doc ? k->doc : "",
                k->doc ? ")" : "");
}

/* ---- pass 1: the line scanner ---------------------------------------------------------------------------------- */

typedef struct {
    const HnbKeySpec *spec;
    char *raw; /* the value as written, surrounding whitespace removed, escapes not yet undone */
    int line;
} FileEntry;

static void file_entry_free(gpointer p)
{
    FileEntry *e = p;
    g_free(e->raw);
    g_free(e);
}

static gboolean fail_at(GError **error, const char *name, int line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

/* Sets `name:line: <message>` and returns FALSE. */
static gboolean fail_at(GError **error, const char *name, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s:%d: %s", name, line, msg);
    return FALSE;
}

typedef struct {
    const char *name;      /* file name for messages */
    const Schema *schema;
    GHashTable *group_line; /* schema group string -> line of its header */
    GHashTable *key_line;   /* spec -> line of its key */
    const char *group;      /* current group (the schema's string), NULL before the first header */
    GPtrArray *entries;     /* FileEntry *, in file order */
} Scan;

/* `p` is the line from its '['. */
static gboolean scan_group(Scan *sc, char *p, int line, GError **error)
{
    char *close = strchr(p, ']');
    if (!close)
        return fail_at(error, sc->name, line, "syntax error: group header \"%s\" has no closing ]", p);
    const char *after = close + 1;
    while (*after == ' ' || *after == '\t')
        after++;
    if (*after)
        return fail_at(error, sc->name, line,
                       "syntax error: text \"%s\" after the group header (comments go on a line of their own)", after);
    *close = '\0';
    const char *name = p + 1;
    if (*name == '\0')
        return fail_at(error, sc->name, line, "syntax error: empty group name []");
    for (const char *c = name; *c; c++)
        if (*c == '[' || g_ascii_iscntrl(*c))
            return fail_at(error, sc->name, line, "syntax error: invalid group name [%s]", name);

    gpointer group, keys;
    if (!g_hash_table_lookup_extended(sc->schema->index, name, &group, &keys)) {
        g_autofree char *hint = group_hint(sc->schema, name);
        return fail_at(error, sc->name, line, "unknown group [%s]%s", name, hint);
    }
    gpointer first;
    if (g_hash_table_lookup_extended(sc->group_line, group, NULL, &first))
        return fail_at(error, sc->name, line, "duplicate group [%s] (first opened on line %d; merge the two)", name,
                       GPOINTER_TO_INT(first));
    g_hash_table_insert(sc->group_line, group, GINT_TO_POINTER(line));
    sc->group = group;
    return TRUE;
}

/* `p` is the line from its first non-blank character; `eq` its first '='. */
static gboolean scan_key(Scan *sc, char *p, char *eq, int line, GError **error)
{
    *eq = '\0';
    char *key = g_strchomp(p);
    char *value = g_strstrip(eq + 1);

    if (*key == '\0')
        return fail_at(error, sc->name, line, "syntax error: a key name is missing before \"=\"");
    if (!sc->group)
        return fail_at(error, sc->name, line, "syntax error: key \"%s\" comes before any [group] header", key);
    char *open = strchr(key, '[');
    size_t n = strlen(key);
    if (open && open > key && key[n - 1] == ']' && strchr(open, ']') == key + n - 1 && !strchr(open + 1, '['))
        return fail_at(error, sc->name, line, "[%s] key \"%s\": locale suffixes such as %s are not supported",
                       sc->group, key, open);
    if (open || strchr(key, ']'))
        return fail_at(error, sc->name, line, "syntax error: invalid key name \"%s\" ([ and ] are not allowed)", key);

    const HnbKeySpec *k = schema_lookup(sc->schema, sc->group, key);
    if (!k) {
        g_autofree char *hint = key_hint(sc->schema, sc->group, key);
        return fail_at(error, sc->name, line, "unknown key \"%s\" in [%s]%s", key, sc->group, hint);
    }
    gpointer first;
    if (g_hash_table_lookup_extended(sc->key_line, k, NULL, &first))
        return fail_at(error, sc->name, line, "duplicate key \"%s\" in [%s] (first set on line %d)", key, sc->group,
                       GPOINTER_TO_INT(first));
    g_hash_table_insert(sc->key_line, (gpointer)k, GINT_TO_POINTER(line));

    FileEntry *e = g_new(FileEntry, 1);
    e->spec = k;
    e->raw = g_strdup(value);
    e->line = line;
    g_ptr_array_add(sc->entries, e);
    return TRUE;
}

static gboolean scan(Scan *sc, const char *data, gsize len, GError **error)
{
    int line = 0;
    gsize pos = 0;

    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        pos = 3; /* a UTF-8 byte-order mark, as some Windows editors write */
    while (pos < len) {
        const char *start = data + pos;
        const char *nl = memchr(start, '\n', len - pos);
        gsize n = nl ? (gsize)(nl - start) : len - pos;
        pos += n + (nl != NULL);
        line++;
        if (n > 0 && start[n - 1] == '\r')
            n--; /* as GKeyFile does, so files from Windows read the same */
        if (memchr(start, '\0', n))
            return fail_at(error, sc->name, line, "syntax error: NUL byte in the line");
        if (!g_utf8_validate(start, (gssize)n, NULL))
            return fail_at(error, sc->name, line, "syntax error: the line is not valid UTF-8");

        g_autofree char *text = g_strndup(start, n);
        char *p = text;
        while (g_ascii_isspace(*p))
            p++;
        if (*p == '\0' || *p == '#' || *p == ';')
            continue;
        if (*p == '[') {
            if (!scan_group(sc, p, line, error))
                return FALSE;
            continue;
        }
        char *eq = strchr(p, '=');
        if (!eq)
            return fail_at(error, sc->name, line,
                           "syntax error: \"%s\" is not a [group] header, a key = value line or a # comment", p);
        if (!scan_key(sc, p, eq, line, error))
            return FALSE;
    }
    return TRUE;
}

/* ---- pass 2: GKeyFile ------------------------------------------------------------------------------------------ */

/* Why GKeyFile refused a value: the first escape it does not know. */
static char *escape_problem(const char *raw)
{
    for (const char *p = raw; *p; p++) {
        if (*p != '\\')
            continue;
        if (p[1] == '\0')
            return g_strdup("a lone \\ ends the value (write \\\\ for a backslash)");
        if (!strchr("sntr\\", p[1]))
            return g_strdup_printf("unknown escape sequence \\%c (known: \\s \\n \\t \\r \\\\)", p[1]);
        p++;
    }
    return NULL;
}

/* Reads the scanned entries through GKeyFile: builds the normalised text, loads it, and returns the unescaped
 * values in entry order (NULL with error set when GKeyFile refuses one). */
static GPtrArray *unescape_values(const char *name, GPtrArray *entries, GError **error)
{
    g_autoptr(GString) norm = g_string_new(NULL);
    const char *group = NULL;
    for (guint i = 0; i < entries->len; i++) {
        const FileEntry *e = entries->pdata[i];
        if (g_strcmp0(e->spec->group, group) != 0) {
            group = e->spec->group;
            g_string_append_printf(norm, "[%s]\n", group);
        }
        g_string_append_printf(norm, "%s=%s\n", e->spec->key, e->raw);
    }

    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;
    if (!g_key_file_load_from_data(kf, norm->str, norm->len, G_KEY_FILE_NONE, &e)) {
        /* the scanner is meant to refuse everything GKeyFile refuses; if not, still fail cleanly */
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: syntax error: %s", name, e->message);
        return NULL;
    }

    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < entries->len; i++) {
        const FileEntry *fe = entries->pdata[i];
        /* checked before GKeyFile sees the value: our message names the escape, and GLib 2.74 sets its GError twice
         * (a runtime warning) for a value with both an unknown escape and a trailing backslash */
        g_autofree char *why = escape_problem(fe->raw);
        if (why) {
            fail_at(error, name, fe->line, "[%s] %s = \"%s\": %s", fe->spec->group, fe->spec->key, fe->raw, why);
            return NULL;
        }
        /* GKeyFile may hand back a string together with an error, so free it either way */
        g_autofree char *v = g_key_file_get_string(kf, fe->spec->group, fe->spec->key, &e);
        if (e) {
            fail_at(error, name, fe->line, "[%s] %s = \"%s\": %s", fe->spec->group, fe->spec->key, fe->raw,
                    e->message);
            return NULL;
        }
        g_ptr_array_add(values, g_steal_pointer(&v));
    }
    return g_steal_pointer(&values);
}

/* ---- the scenario ---------------------------------------------------------------------------------------------- */

struct HnbScenario {
    char *source;
    const HnbKeySpec **tables; /* the schema tables it was loaded with (a copy of the list), for check_value */
    guint n;
    Value *values;     /* n of them, in schema order */
    GHashTable *index; /* group -> GHashTable (key -> Value *) */
};

void hnb_scenario_free(HnbScenario *sc)
{
    if (!sc)
        return;
    for (guint i = 0; i < sc->n; i++)
        value_clear(&sc->values[i]);
    g_free(sc->values);
    if (sc->index)
        g_hash_table_unref(sc->index);
    g_free(sc->tables);
    g_free(sc->source);
    g_free(sc);
}

gboolean hnb_scenario_split_set(const char *text, char **group, char **key, char **value, GError **error)
{
    g_return_val_if_fail(text != NULL && group != NULL && key != NULL && value != NULL, FALSE);

    const char *eq = strchr(text, '=');
    const char *dot = eq ? memchr(text, '.', (size_t)(eq - text)) : NULL;
    g_autofree char *g = dot ? g_strstrip(g_strndup(text, (gsize)(dot - text))) : NULL;
    g_autofree char *k = dot ? g_strstrip(g_strndup(dot + 1, (gsize)(eq - dot - 1))) : NULL;
    if (!dot || !*g || !*k) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--set %s: expected group.key=value, e.g. scenario.seed=7",
                    text);
        return FALSE;
    }
    *group = g_steal_pointer(&g);
    *key = g_steal_pointer(&k);
    *value = g_strstrip(g_strdup(eq + 1));
    return TRUE;
}

/* Applies one --set to the values (indexed through `slot`: spec -> index + 1). */
static gboolean apply_set(const Schema *s, GHashTable *slot, Value *values, const char *set, GError **error)
{
    g_autofree char *group = NULL, *key = NULL, *value = NULL;

    if (!g_utf8_validate(set, -1, NULL)) {
        g_autofree char *shown = g_utf8_make_valid(set, -1);
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--set %s: not valid UTF-8", shown);
        return FALSE;
    }
    if (!hnb_scenario_split_set(set, &group, &key, &value, error))
        return FALSE;
    if (!g_hash_table_contains(s->index, group)) {
        g_autofree char *hint = group_hint(s, group);
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--set %s: unknown group [%s]%s", set, group, hint);
        return FALSE;
    }
    const HnbKeySpec *k = schema_lookup(s, group, key);
    if (!k) {
        g_autofree char *hint = key_hint(s, group, key);
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "--set %s: unknown key \"%s\" in [%s]%s", set, key, group, hint);
        return FALSE;
    }
    g_autoptr(GError) why = NULL;
    Value *v = &values[GPOINTER_TO_UINT(g_hash_table_lookup(slot, k)) - 1];
    if (!parse_value(k, value, v, &why)) {
        g_autofree char *where = g_strdup_printf("--set %s", set);
        value_error(error, where, k, value, why);
        return FALSE;
    }
    v->given = TRUE;
    return TRUE;
}

HnbScenario *hnb_scenario_load_data(const char *data, gsize len, const char *name, const HnbKeySpec *const *schemas,
                                    char **sets, GError **error)
{
    g_return_val_if_fail(data != NULL || len == 0, NULL);
    g_return_val_if_fail(name != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    Schema s;
    schema_init(&s, schemas);
    g_autoptr(HnbScenario) sc = g_new0(HnbScenario, 1);
    sc->source = g_strdup(name);
    guint ntables = 0;
    while (schemas && schemas[ntables])
        ntables++;
    sc->tables = g_new0(const HnbKeySpec *, ntables + 1);
    for (guint t = 0; t < ntables; t++)
        sc->tables[t] = schemas[t];
    sc->n = s.specs->len;
    sc->values = g_new0(Value, sc->n);
    g_autoptr(GHashTable) slot = g_hash_table_new(NULL, NULL); /* spec -> index + 1 */
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(file_entry_free);
    g_autoptr(GHashTable) group_line = g_hash_table_new(NULL, NULL);
    g_autoptr(GHashTable) key_line = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) texts = NULL;
    gboolean ok = FALSE;

    /* defaults first: every one is checked on every load, so a bad default fails the first test that loads */
    for (guint i = 0; i < sc->n; i++) {
        const HnbKeySpec *k = s.specs->pdata[i];
        g_autoptr(GError) why = NULL;
        sc->values[i].spec = k;
        g_hash_table_insert(slot, (gpointer)k, GUINT_TO_POINTER(i + 1));
        if (k->def && *k->def == '\0' && (k->type == HNB_KEY_STRING || k->type == HNB_KEY_DIST)) {
            sc->values[i].text = g_strdup(""); /* optional: empty (a DIST: no distribution) unless given */
        } else if (k->def && !parse_value(k, k->def, &sc->values[i], &why)) {
            g_error("scenario schema: [%s] %s: default \"%s\": %s", k->group, k->key, k->def, why->message);
        }
    }

    Scan scanner = {name, &s, group_line, key_line, NULL, entries};
    if (!scan(&scanner, data ? data : "", len, error))
        goto out;
    texts = unescape_values(name, entries, error);
    if (!texts)
        goto out;
    for (guint i = 0; i < entries->len; i++) {
        const FileEntry *e = entries->pdata[i];
        const char *text = texts->pdata[i];
        g_autoptr(GError) why = NULL;
        guint at = GPOINTER_TO_UINT(g_hash_table_lookup(slot, e->spec)) - 1;
        if (!parse_value(e->spec, text, &sc->values[at], &why)) {
            g_autofree char *where =
                g_strdup_printf("%s:%d: [%s] %s = \"%s\"", name, e->line, e->spec->group, e->spec->key, e->raw);
            value_error(error, where, e->spec, text, why);
            goto out;
        }
        sc->values[at].given = TRUE;
        sc->values[at].line = e->line;
    }
    for (char **set = sets; set && *set; set++)
        if (!apply_set(&s, slot, sc->values, *set, error))
            goto out;
    for (guint i = 0; i < sc->n; i++) {
        const HnbKeySpec *k = sc->values[i].spec;
        if (!sc->values[i].text) {
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: [%s] %s: required key is missing%s%s%s", name,
                        k->group, k->key, k->doc ? " (" : "", k->doc ? k->doc : "", k->doc ? ")" : "");
            goto out;
        }
    }

    sc->index = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_hash_table_unref);
    for (guint i = 0; i < sc->n; i++) {
        const HnbKeySpec *k = sc->values[i].spec;
        GHashTable *keys = g_hash_table_lookup(sc->index, k->group);
        if (!keys) {
            keys = g_hash_table_new(g_str_hash, g_str_equal);
            g_hash_table_insert(sc->index, (gpointer)k->group, keys);
        }
        g_hash_table_insert(keys, (gpointer)k->key, &sc->values[i]);
    }
    ok = TRUE;
out:
    schema_clear(&s);
    return ok ? g_steal_pointer(&sc) : NULL;
}

HnbScenario *hnb_scenario_load(const char *path, const HnbKeySpec *const *schemas, char **sets, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) e = NULL;

    g_return_val_if_fail(path != NULL, NULL);
    if (!g_file_get_contents(path, &data, &len, &e)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "%s: cannot read the scenario: %s", path, e->message);
        return NULL;
    }
    return hnb_scenario_load_data(data, len, path, schemas, sets, error);
}

/* ---- getters --------------------------------------------------------------------------------------------------- */

static const char *type_name(HnbKeyType t)
{
    switch (t) {
    case HNB_KEY_STRING: return "string";
    case HNB_KEY_ENUM: return "enum";
    case HNB_KEY_BOOL: return "bool";
    case HNB_KEY_INT: return "integer";
    case HNB_KEY_NUMBER: return "number";
    case HNB_KEY_DIST: return "distribution";
    default: return "?";
    }
}

/* The value of (group, key), which must exist and have type t or t2; anything else is a bug in the caller. */
static const Value *get(const HnbScenario *sc, const char *group, const char *key, const char *getter, HnbKeyType t,
                        HnbKeyType t2)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL, NULL);
    GHashTable *keys = g_hash_table_lookup(sc->index, group);
    const Value *v = keys ? g_hash_table_lookup(keys, key) : NULL;
    if (!v)
        g_error("%s: [%s] %s is not a key of the scenario schema", getter, group, key);
    if (v->spec->type != t && v->spec->type != t2)
        g_error("%s: [%s] %s is of type %s, not %s", getter, group, key, type_name(v->spec->type), type_name(t));
    return v;
}

const char *hnb_scenario_string(const HnbScenario *sc, const char *group, const char *key)
{
    return get(sc, group, key, "hnb_scenario_string", HNB_KEY_STRING, HNB_KEY_ENUM)->text;
}

gboolean hnb_scenario_bool(const HnbScenario *sc, const char *group, const char *key)
{
    return get(sc, group, key, "hnb_scenario_bool", HNB_KEY_BOOL, HNB_KEY_BOOL)->i != 0;
}

int64_t hnb_scenario_int(const HnbScenario *sc, const char *group, const char *key)
{
    return get(sc, group, key, "hnb_scenario_int", HNB_KEY_INT, HNB_KEY_INT)->i;
}

double hnb_scenario_number(const HnbScenario *sc, const char *group, const char *key)
{
    return get(sc, group, key, "hnb_scenario_number", HNB_KEY_NUMBER, HNB_KEY_NUMBER)->num;
}

HnbTime hnb_scenario_time(const HnbScenario *sc, const char *group, const char *key)
{
    const Value *v = get(sc, group, key, "hnb_scenario_time", HNB_KEY_NUMBER, HNB_KEY_NUMBER);
    if (v->spec->unit != HNB_UNIT_DURATION)
        g_error("hnb_scenario_time: [%s] %s is not a duration", group, key);
    return v->time;
}

const HnbDist *hnb_scenario_dist(const HnbScenario *sc, const char *group, const char *key)
{
    return get(sc, group, key, "hnb_scenario_dist", HNB_KEY_DIST, HNB_KEY_DIST)->dist;
}

const char *hnb_scenario_text(const HnbScenario *sc, const char *group, const char *key)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL, NULL);
    GHashTable *keys = g_hash_table_lookup(sc->index, group);
    const Value *v = keys ? g_hash_table_lookup(keys, key) : NULL;
    if (!v)
        g_error("hnb_scenario_text: [%s] %s is not a key of the scenario schema", group, key);
    return v->text;
}

/* The value of (group, key) for a writer; NULL if the schema has no such key. */
static Value *lookup(const HnbScenario *sc, const char *group, const char *key)
{
    GHashTable *keys = g_hash_table_lookup(sc->index, group);
    return keys ? g_hash_table_lookup(keys, key) : NULL;
}

gboolean hnb_scenario_is_given(const HnbScenario *sc, const char *group, const char *key)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL, FALSE);
    const Value *v = lookup(sc, group, key);
    if (!v)
        g_error("hnb_scenario_is_given: [%s] %s is not a key of the scenario schema", group, key);
    return v->given;
}

gboolean hnb_scenario_resolve(HnbScenario *sc, const char *group, const char *key, const char *text,
                              const char *note, GError **error)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL && text != NULL, FALSE);
    Value *v = lookup(sc, group, key);
    if (!v)
        g_error("hnb_scenario_resolve: [%s] %s is not a key of the scenario schema", group, key);
    if (*text == '\0' && v->spec->type == HNB_KEY_STRING) {
        g_free(v->text);
        v->text = g_strdup(""); /* an optional text back to empty, as if never given */
    } else if (!parse_value(v->spec, text, v, error)) {
        return FALSE;
    }
    g_free(v->note);
    v->note = g_strdup(note);
    return TRUE;
}

const char *hnb_scenario_source(const HnbScenario *sc)
{
    g_return_val_if_fail(sc != NULL, NULL);
    return sc->source;
}

static const Value *find(const HnbScenario *sc, const char *group, const char *key)
{
    GHashTable *keys = g_hash_table_lookup(sc->index, group);
    return keys ? g_hash_table_lookup(keys, key) : NULL;
}

int hnb_scenario_line(const HnbScenario *sc, const char *group, const char *key)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL, 0);
    const Value *v = find(sc, group, key);
    return v ? v->line : 0;
}

const HnbKeySpec *hnb_scenario_spec(const HnbScenario *sc, const char *group, const char *key)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL, NULL);
    const Value *v = find(sc, group, key);
    return v ? v->spec : NULL;
}

gboolean hnb_scenario_check_value(const HnbScenario *sc, const char *group, const char *key, const char *text,
                                  GError **error)
{
    g_return_val_if_fail(sc != NULL && group != NULL && key != NULL && text != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    const Value *v = find(sc, group, key);
    if (!v) { /* the same hints a file or --set gets */
        Schema s;
        schema_init(&s, sc->tables);
        if (!g_hash_table_contains(s.index, group)) {
            g_autofree char *hint = group_hint(&s, group);
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "unknown group [%s]%s", group, hint);
        } else {
            g_autofree char *hint = key_hint(&s, group, key);
            g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT, "unknown key \"%s\" in [%s]%s", key, group, hint);
        }
        schema_clear(&s);
        return FALSE;
    }
    Value scratch = {.spec = v->spec};
    g_autoptr(GError) why = NULL;
    if (!parse_value(v->spec, text, &scratch, &why)) {
        g_autofree char *where = g_strdup_printf("[%s] %s = \"%s\"", group, key, text);
        value_error(error, where, v->spec, text, why);
        return FALSE;
    }
    value_clear(&scratch);
    return TRUE;
}

/* ---- writing --------------------------------------------------------------------------------------------------- */

/* "duration", "distribution of durations", ... */
static char *type_text(const HnbKeySpec *k)
{
    static const char *const words[] = {
        [HNB_UNIT_NONE] = "number",   [HNB_UNIT_DURATION] = "duration", [HNB_UNIT_SIZE] = "size",
        [HNB_UNIT_BITRATE] = "bit rate", [HNB_UNIT_RATE] = "rate",      [HNB_UNIT_FRACTION] = "fraction",
    };
    const char *word = (guint)k->unit < G_N_ELEMENTS(words) ? words[k->unit] : "number";
    if (k->type == HNB_KEY_NUMBER)
        return g_strdup(word);
    if (k->type == HNB_KEY_DIST)
        return g_strdup_printf("distribution of %s", unit_noun(k->unit, TRUE));
    return g_strdup(type_name(k->type));
}

/* "1..10000", ">= 1s", "a|b|c" or "". */
static char *limits_text(const HnbKeySpec *k)
{
    if (k->type == HNB_KEY_ENUM)
        return g_strdup(k->choices);
    if (k->type == HNB_KEY_BOOL)
        return g_strdup("true|false");
    if (k->type == HNB_KEY_STRING)
        return g_strdup("");
    g_autofree char *r = range_text(k); /* " in a..b", " >= a", ... */
    return g_strdup(g_str_has_prefix(r, " in ") ? r + 4 : r + (*r == ' '));
}

/* A value as GKeyFile reads it back: escapes for \ and line breaks, and \s for spaces at either end (a plain space
 * there would be trimmed on reading). */
static void append_escaped(GString *out, const char *s)
{
    size_t n = strlen(s), lead = 0, trail = n;
    while (s[lead] == ' ')
        lead++;
    while (trail > lead && s[trail - 1] == ' ')
        trail--;
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case ' ': g_string_append(out, i < lead || i >= trail ? "\\s" : " "); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\t': g_string_append(out, "\\t"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\\': g_string_append(out, "\\\\"); break;
        default: g_string_append_c(out, s[i]); break;
        }
    }
}

static void append_comment(GString *out, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++)
        g_string_append_printf(out, "# %s\n", *l);
}

char *hnb_scenario_to_data(const HnbScenario *sc)
{
    g_return_val_if_fail(sc != NULL, NULL);
    GString *out = g_string_new(NULL);
    const char *group = NULL;

    /* No source path here: the resolved file must be byte-identical wherever the scenario lived (the path goes to
     * manifest.json, the run's one non-deterministic file). */
    g_string_append(out, "# Scenario resolved by hnbsim.\n"
                         "# Every known key is listed with the value the run used (from the file, a --set override\n"
                         "# or the default).  Running hnbsim on this file reproduces the run.\n");
    for (guint i = 0; i < sc->n; i++) {
        const Value *v = &sc->values[i];
        const HnbKeySpec *k = v->spec;
        if (g_strcmp0(k->group, group) != 0) {
            group = k->group;
            g_string_append_printf(out, "\n[%s]\n", group);
        } else {
            g_string_append_c(out, '\n');
        }
        if (k->doc)
            append_comment(out, k->doc);
        g_autofree char *type = type_text(k);
        g_autofree char *limits = limits_text(k);
        g_string_append_printf(out, "# %s", type);
        if (*limits)
            g_string_append_printf(out, ", %s %s",
                                   k->type == HNB_KEY_ENUM || k->type == HNB_KEY_BOOL ? "one of" : "range", limits);
        if (k->def) {
            g_string_append(out, ", default ");
            append_escaped(out, *k->def ? k->def : "(empty)");
        } else {
            g_string_append(out, ", required");
        }
        g_string_append_c(out, '\n');
        if (v->note)
            append_comment(out, v->note);
        if (*v->text == '\0') {
            /* a file cannot set an empty value; leaving the key out gives the same empty default */
            g_string_append_printf(out, "# %s =\n", k->key);
        } else {
            g_string_append_printf(out, "%s = ", k->key);
            append_escaped(out, v->text);
            g_string_append_c(out, '\n');
        }
    }
    return g_string_free(out, FALSE);
}

static void pad(GString *out, const char *s, glong width)
{
    g_string_append(out, s);
    for (glong n = g_utf8_strlen(s, -1); n < width; n++)
        g_string_append_c(out, ' ');
}

void hnb_scenario_describe(const HnbKeySpec *const *schemas, GString *out)
{
    g_return_if_fail(out != NULL);
    Schema s;
    schema_init(&s, schemas);
    guint n = s.specs->len;
    g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free); /* 4 per key: name, type, default, range */
    glong w[4] = {3, 4, 7, 5};                                            /* the header words */

    for (guint i = 0; i < n; i++) {
        const HnbKeySpec *k = s.specs->pdata[i];
        char *c[4] = {g_strdup_printf("%s.%s", k->group, k->key), type_text(k),
                      g_strdup(k->def ? (*k->def ? k->def : "\"\"") : "(required)"), limits_text(k)};
        for (int j = 0; j < 4; j++) {
            w[j] = MAX(w[j], g_utf8_strlen(c[j], -1));
            g_ptr_array_add(cells, c[j]);
        }
    }
    static const char *const head[] = {"KEY", "TYPE", "DEFAULT", "RANGE"};
    for (int j = 0; j < 4; j++) {
        pad(out, head[j], w[j]);
        g_string_append(out, "  ");
    }
    g_string_append(out, "DESCRIPTION\n");
    const char *group = NULL;
    for (guint i = 0; i < n; i++) {
        const HnbKeySpec *k = s.specs->pdata[i];
        if (group && strcmp(k->group, group) != 0)
            g_string_append_c(out, '\n'); /* a blank line between groups */
        group = k->group;
        for (int j = 0; j < 4; j++) {
            pad(out, cells->pdata[4 * i + j], w[j]);
            g_string_append(out, "  ");
        }
        g_string_append(out, k->doc ? k->doc : "");
        /* no trailing blanks when there is no doc */
        while (out->len > 0 && out->str[out->len - 1] == ' ')
            g_string_truncate(out, out->len - 1);
        g_string_append_c(out, '\n');
    }
    schema_clear(&s);
}
