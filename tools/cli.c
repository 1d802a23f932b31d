/* tools/cli.c — what the subcommands share: error reporting, committing a result directory, scenario loading, the
 * default scenario. */
#include "tools/cli.h"
#include "models/model.h"

#include <stdio.h>

int hnb_cli_fail(GError *error)
{
    int rc = HNB_EXIT_RUN;
    if (error->domain == G_OPTION_ERROR || (error->domain == HNB_ERROR && error->code == HNB_ERROR_INPUT))
        rc = HNB_EXIT_INPUT;
    fprintf(stderr, "hnbsim: %s\n", error->message);
    g_error_free(error);
    return rc;
}

int hnb_cli_finish(HnbRunDir *rd, gboolean ok, GError *error)
{
    if (ok)
        ok = hnb_rundir_commit(rd, &error);
    else if (rd)
        hnb_rundir_abort(rd);
    return ok ? HNB_EXIT_OK : hnb_cli_fail(error);
}

HnbScenario *hnb_cli_load(const char *path, char **sets, GError **error)
{
    return hnb_model_load(path, sets, error);
}

int hnb_cli_threads(const char *cmd, gint *threads)
{
    if (*threads < 0 || *threads > 4096) {
        fprintf(stderr, "%s: --threads %d: expected 1..4096 (0 or absent: all processors)\n", cmd, *threads);
        return HNB_EXIT_INPUT;
    }
    if (*threads == 0)
        *threads = (gint)g_get_num_processors();
    return HNB_EXIT_OK;
}

GPtrArray *hnb_cli_sets(char **sets, gint64 seed, gint64 replications)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (char **s = sets; s && *s; s++)
        g_ptr_array_add(out, g_strdup(*s));
    if (seed != G_MININT64)
        g_ptr_array_add(out, g_strdup_printf("scenario.seed=%" G_GINT64_FORMAT, seed));
    if (replications != G_MININT64)
        g_ptr_array_add(out, g_strdup_printf("scenario.replications=%" G_GINT64_FORMAT, replications));
    return out;
}

char *hnb_cli_default_scenario(void)
{
    if (g_file_test("scenarios/default.ini", G_FILE_TEST_IS_REGULAR))
        return g_strdup("scenarios/default.ini");
    char *p = g_build_filename(HNB_SOURCE_DIR, "scenarios", "default.ini", NULL);
    if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
        return p;
    g_free(p);
    return g_strdup("scenarios/default.ini"); /* the loader reports it missing */
}
