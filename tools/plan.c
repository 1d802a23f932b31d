/* tools/plan.c — loading one scenario or the variants of a comparison (see plan.h). */
#include "tools/plan.h"
#include "models/model.h"

#include <stdio.h>
#include <string.h>

char *hnb_plan_dir_name(const char *name)
{
    char *d = g_strdup(name);
    for (char *p = d; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
            *p = '_';
    return d;
}

/* The keys a comparison file sets itself (not its name, description, variant list or study groups): they apply to
 * every variant. */
static gboolean common_sets(const char *path, GPtrArray *out, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error))
        return FALSE; /* not reached: the file was loaded once already */
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            if (strcmp(*g, "compare") == 0 || strcmp(*g, "sweep") == 0 || strcmp(*g, "size") == 0 ||
                (strcmp(*g, "scenario") == 0 && (strcmp(*k, "name") == 0 || strcmp(*k, "description") == 0)))
                continue;
            g_autofree char *v = g_key_file_get_value(kf, *g, *k, NULL);
            g_ptr_array_add(out, g_strdup_printf("%s.%s=%s", *g, *k, g_strstrip(v)));
        }
    }
    return TRUE;
}

int hnb_plan_load(HnbPlan *plan, char **paths, char **user_sets, const char *cmd)
{
    *plan = (HnbPlan){NULL, g_ptr_array_new_with_free_func((GDestroyNotify)hnb_scenario_free),
                      g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free), FALSE};
    GError *error = NULL;
    if (g_strv_length(paths) == 1) {
        plan->head = hnb_cli_load(paths[0], user_sets, &error);
        if (!plan->head)
            return hnb_cli_fail(error);
        const char *list = hnb_scenario_string(plan->head, "compare", "variants");
        g_auto(GStrv) items = g_strsplit_set(list, " \t,", -1);
        g_autofree char *base = g_path_get_dirname(paths[0]);
        for (char **it = items; *it; it++)
            if (**it)
                g_ptr_array_add(plan->paths, g_path_is_absolute(*it) ? g_strdup(*it)
                                                                     : g_build_filename(base, *it, NULL));
        if (plan->paths->len == 0) { /* a plain scenario */
            g_ptr_array_add(plan->variants, g_steal_pointer(&plan->head));
            g_ptr_array_add(plan->paths, g_strdup(paths[0]));
        }
    } else {
        for (char **p = paths; *p; p++)
            g_ptr_array_add(plan->paths, g_strdup(*p));
    }
    plan->compare = plan->head != NULL || plan->paths->len > 1;
    /* each variant: the comparison file's own keys, then the user's overrides */
    if (plan->head && !common_sets(hnb_scenario_source(plan->head), plan->sets, &error))
        return hnb_cli_fail(error);
    for (char **s = user_sets; s && *s; s++)
        g_ptr_array_add(plan->sets, g_strdup(*s));
    g_ptr_array_add(plan->sets, NULL);
    int rc = HNB_EXIT_OK;
    for (guint k = plan->variants->len; k < plan->paths->len && rc == HNB_EXIT_OK; k++) {
        HnbScenario *sc = hnb_cli_load(plan->paths->pdata[k], (char **)plan->sets->pdata, &error);
        if (!sc) {
            if (plan->head)
                g_prefix_error(&error, "%s: [compare] variants: ", hnb_scenario_source(plan->head));
            return hnb_cli_fail(error);
        }
        for (guint j = 0; j < plan->variants->len; j++)
            if (strcmp(hnb_scenario_string(sc, "scenario", "name"),
                       hnb_scenario_string(plan->variants->pdata[j], "scenario", "name")) == 0) {
                fprintf(stderr, "%s: %s and %s are both named \"%s\": variants need different [scenario] names\n", cmd,
                        (char *)plan->paths->pdata[j], (char *)plan->paths->pdata[k],
                        hnb_scenario_string(sc, "scenario", "name"));
                rc = HNB_EXIT_INPUT;
            }
        g_ptr_array_add(plan->variants, sc);
    }
    return rc;
}

void hnb_plan_clear(HnbPlan *plan)
{
    g_clear_pointer(&plan->head, hnb_scenario_free);
    g_clear_pointer(&plan->variants, g_ptr_array_unref);
    g_clear_pointer(&plan->paths, g_ptr_array_unref);
    g_clear_pointer(&plan->sets, g_ptr_array_unref);
}

const char *hnb_plan_name(const HnbPlan *plan)
{
    return plan->head ? hnb_scenario_string(plan->head, "scenario", "name")
                      : plan->compare ? "compare" : hnb_scenario_string(plan->variants->pdata[0], "scenario", "name");
}

char *hnb_plan_compliance(const HnbScenario *sc, const HnbScenario *const *variants, const char *const *names,
                          guint nvariants)
{
    GString *report = g_string_new(NULL);
    GError *error = NULL;
    hnb_model_tls_report(sc, report, NULL, &error); /* a non-compliant group was refused at load, or says custom */
    g_clear_error(&error);
    if (nvariants == 0)
        hnb_model_compliance(sc, NULL, report);
    for (guint k = 0; k < nvariants; k++) /* the paths are a variant's own: its layout, its reach, its credential */
        hnb_model_compliance(variants[k], names[k], report);
    return g_string_free(report, FALSE);
}
