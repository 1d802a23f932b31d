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

/* The model a file asks for, read leniently: a broken file gets its real error from the full load. */
static char *peek_model(const char *path, char **sets)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    char *model = NULL;
    for (char **s = sets; s && *s; s++)
        if (g_str_has_prefix(*s, "scenario.model="))
            model = g_strdup(*s + strlen("scenario.model="));
    if (!model && g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
        model = g_key_file_get_string(kf, "scenario", "model", NULL);
    if (model)
        g_strstrip(model);
    return model;
}

HnbScenario *hnb_cli_load(const char *path, char **sets, GError **error)
{
    g_autofree char *name = peek_model(path, sets);
    const HnbModel *model = hnb_model_find(name ? name : "informs");
    const HnbKeySpec *schemas[3] = {hnb_scenario_schema, model ? model->schema : NULL, NULL};
    if (!model) {
        /* let the loader report the bad [scenario] model value with file and line */
        const HnbKeySpec *all[16] = {hnb_scenario_schema};
        size_t n = 1;
        for (const HnbModel *const *m = hnb_models; *m && n < G_N_ELEMENTS(all) - 1; m++)
            all[n++] = (*m)->schema;
        all[n] = NULL;
        return hnb_scenario_load(path, all, sets, error);
    }
    return hnb_scenario_load(path, schemas, sets, error);
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
