/* tools/cli.c — what the subcommands share: error reporting, scenario loading, the default scenario. */
#include "cli.h"
#include "model.h"

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

HnbScenario *hnb_cli_load(const char *path, char **sets, GError **error)
{
    return hnb_model_load(path, sets, error);
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
