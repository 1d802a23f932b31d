/* tools/cmd_check.c — `hnbsim check` and `hnbsim describe`. */
#include "tools/cli.h"
#include "results/grid.h"
#include "models/model.h"

#include <stdio.h>

/* The grids of [sweep] vary and [size] vary, parsed and checked value by value as sweep and size will. */
static gboolean check_grids(const HnbScenario *sc, GError **error)
{
    static const char *const groups[] = {"sweep", "size"};
    for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
        int line = hnb_scenario_line(sc, groups[i], "vary");
        g_autofree char *origin = line ? g_strdup_printf("%s:%d: [%s] vary", hnb_scenario_source(sc), line, groups[i])
                                       : g_strdup_printf("--set %s.vary", groups[i]);
        g_auto(GStrv) entries = hnb_grid_split(hnb_scenario_string(sc, groups[i], "vary"));
        g_autoptr(HnbGrid) grid = hnb_grid_new();
        for (char **e = entries; *e; e++)
            if (!hnb_grid_add(grid, sc, *e, origin, error))
                return FALSE;
    }
    return TRUE;
}

int hnb_cmd_check(int argc, char **argv)
{
    g_auto(GStrv) sets = NULL;
    GOptionEntry entries[] = {
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override a key (repeatable)", "GROUP.KEY=VALUE"},
        {NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("[SCENARIO...] — validate scenarios without running them");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, "With no SCENARIO, checks scenarios/default.ini.  Exit status 0 when every "
                                          "scenario is valid, 2 otherwise (each problem is printed).");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    g_autofree char *def = NULL;
    char *one[2] = {NULL, NULL};
    char **paths = argv + 1;
    if (argc < 2) {
        one[0] = def = hnb_cli_default_scenario();
        paths = one;
    }
    int rc = HNB_EXIT_OK;
    for (char **p = paths; *p; p++) {
        g_autoptr(HnbScenario) sc = hnb_cli_load(*p, sets, &error);
        if (sc && !check_grids(sc, &error))
            g_clear_pointer(&sc, hnb_scenario_free);
        if (!sc) {
            rc = hnb_cli_fail(error);
            error = NULL;
            continue;
        }
        /* a [tls] group that does not meet clause 8.3.4 (and is not profile = custom) was refused by the load */
        g_autoptr(GString) report = g_string_new(NULL);
        if (!hnb_model_tls_report(sc, report, NULL, &error)) {
            rc = hnb_cli_fail(error);
            error = NULL;
            continue;
        }
        printf("%s: OK (scenario \"%s\", model %s, %" G_GINT64_FORMAT " replication(s))\n", *p,
               hnb_scenario_string(sc, "scenario", "name"), hnb_scenario_string(sc, "scenario", "model"),
               hnb_scenario_int(sc, "scenario", "replications"));
        if (report->len)
            printf("TS 33.320 clause 8.3.4 (TR-069 TLS profile):\n%s", report->str);
        g_autoptr(GString) paths = g_string_new(NULL);
        hnb_model_compliance(sc, NULL, paths);
        fputs(paths->str, stdout);
    }
    return rc;
}

int hnb_cmd_describe(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("[MODEL] — list every scenario key");
    g_option_context_set_description(ctx, "Prints the [scenario] group and the groups of every model (or only MODEL's): "
                                          "key, type and unit, default, range and meaning.");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error))
        return hnb_cli_fail(error);
    const HnbKeySpec *schemas[2] = {hnb_scenario_schema, NULL};
    g_autoptr(GString) out = g_string_new(NULL);
    hnb_scenario_describe(schemas, out);
    for (const HnbModel *const *m = hnb_models; *m; m++) {
        if (argc >= 2 && g_strcmp0(argv[1], (*m)->name) != 0)
            continue;
        const HnbKeySpec *tables[32];
        hnb_model_schemas(*m, tables, G_N_ELEMENTS(tables)); /* [scenario] first: printed above */
        g_string_append_printf(out, "\nmodel %s — %s\n", (*m)->name, (*m)->doc);
        hnb_scenario_describe(tables + 1, out);
    }
    if (argc >= 2 && !hnb_model_find(argv[1])) {
        fprintf(stderr, "hnbsim describe: unknown model \"%s\"\n", argv[1]);
        return HNB_EXIT_INPUT;
    }
    fputs(out->str, stdout);
    return HNB_EXIT_OK;
}
