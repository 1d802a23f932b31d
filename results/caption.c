/* results/caption.c — the assumptions under every figure, written from the scenario's own keys (results.h).
 *
 * A model lists clauses such as "{attack.fraction} of the fleet rewritten at {attack.start}"; the values come from
 * the resolved scenario, so the caption cannot disagree with scenario.resolved.ini.  In a comparison the values that
 * differ between variants are listed in variant order ("layout single/golden/ab"), the ones they share once.
 */
#include "results/results.h"

#include <string.h>

/* "10000" -> "10,000"; anything that is not a plain whole number is returned as it is. */
static char *grouped(const char *text)
{
    size_t n = strlen(text);
    size_t sign = text[0] == '-';
    if (n == sign || strspn(text + sign, "0123456789") != n - sign)
        return g_strdup(text);
    GString *out = g_string_new_len(text, (gssize)sign);
    for (size_t k = sign; k < n; k++) {
        if (k > sign && (n - k) % 3 == 0)
            g_string_append_c(out, ',');
        g_string_append_c(out, text[k]);
    }
    return g_string_free(out, FALSE);
}

/* One key's value in one scenario as a reader wants it. */
static char *value(const HnbScenario *sc, const HnbKeySpec *spec)
{
    if (spec->type == HNB_KEY_NUMBER && spec->unit == HNB_UNIT_FRACTION) {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(buf, sizeof buf, "%.4g", 100 * hnb_scenario_number(sc, spec->group, spec->key));
        return g_strconcat(buf, "%", NULL);
    }
    return grouped(hnb_scenario_text(sc, spec->group, spec->key));
}

/* One {group.key}: its value in every scenario, joined with "/" when they differ; NULL if a schema lacks the key. */
static char *key_text(const HnbScenario *const *scs, guint n, const char *ref)
{
    g_auto(GStrv) gk = g_strsplit(ref, ".", 2);
    if (gk[0] == NULL || gk[1] == NULL)
        return NULL;
    g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free);
    gboolean differ = FALSE;
    for (guint k = 0; k < n; k++) {
        const HnbKeySpec *spec = hnb_scenario_spec(scs[k], gk[0], gk[1]);
        if (spec == NULL)
            return NULL;
        g_ptr_array_add(values, value(scs[k], spec));
        differ = differ || strcmp(values->pdata[k], values->pdata[0]) != 0;
    }
    if (!differ)
        return g_strdup(values->pdata[0]);
    g_ptr_array_add(values, NULL);
    return g_strjoinv("/", (char **)values->pdata);
}

/* A clause with its {group.key} replaced, or NULL if one of its keys is unknown. */
static char *clause(const HnbScenario *const *scs, guint n, const char *tmpl)
{
    GString *out = g_string_new(NULL);
    for (const char *p = tmpl; *p != '\0';) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (close == NULL) {
            g_string_append(out, p);
            break;
        }
        g_string_append_len(out, p, open - p);
        g_autofree char *ref = g_strndup(open + 1, (gsize)(close - open - 1));
        g_autofree char *v = key_text(scs, n, ref);
        if (v == NULL) {
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append(out, v);
        p = close + 1;
    }
    return g_string_free(out, FALSE);
}

char *hnb_results_caption(const HnbScenario *const *scenarios, guint n, const char *const *clauses)
{
    g_return_val_if_fail(scenarios != NULL && n >= 1, NULL);
    /* every model's [scenario] group has these: a caption always says how many replications over how long */
    static const char *const tail[] = {"{scenario.replications} replications", "{scenario.duration} run", NULL};
    GString *out = g_string_new(NULL);
    for (const char *const *list = clauses ? clauses : tail;; list = tail) {
        for (const char *const *c = list; *c != NULL; c++) {
            g_autofree char *text = clause(scenarios, n, *c);
            if (text == NULL)
                continue;
            if (out->len > 0)
                g_string_append(out, ", ");
            g_string_append(out, text);
        }
        if (list == tail)
            break;
    }
    return g_string_free(out, FALSE);
}
