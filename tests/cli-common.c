/* tests/cli-common.c — see cli-common.h. */
#include "tests/cli-common.h"

#include <string.h>
#include <sys/wait.h>

char *scratch;

void cli_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    if (!g_getenv("HNBSIM"))
        g_error("set HNBSIM to the hnbsim binary (meson test does)");
    GError *e = NULL;
    scratch = g_dir_make_tmp("hnbsim-cli-XXXXXX", &e);
    g_assert_no_error(e);
}

int cli_done(void)
{
    int rc = g_test_run();
    char *argv_rm[] = {"rm", "-rf", scratch, NULL}; /* each (sub)process made its own scratch dir */
    g_spawn_sync(NULL, argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(scratch);
    return rc;
}

/* Run hnbsim with args in the scratch dir; returns the exit status, fills out/err (may be NULL). */
int hnbsim(const char *const *args, char **out, char **err)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)g_getenv("HNBSIM"));
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    int status = -1;
    char *o = NULL, *e = NULL;
    GError *error = NULL;
    gboolean ok = g_spawn_sync(scratch, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &o, &e, &status,
                               &error);
    g_assert_no_error(error);
    g_assert_true(ok);
    g_ptr_array_free(argv, TRUE);
    if (out)
        *out = o;
    else
        g_free(o);
    if (err)
        *err = e;
    else
        g_free(e);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

char *write_scenario(const char *name, const char *text)
{
    char *path = g_build_filename(scratch, name, NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

char *slurp(const char *dir, const char *file)
{
    char *p = g_build_filename(scratch, dir, file, NULL), *data = NULL;
    gsize len;
    if (!g_file_get_contents(p, &data, &len, NULL))
        data = NULL;
    g_free(p);
    return data;
}

gboolean exists(const char *rel)
{
    char *p = g_build_filename(scratch, rel, NULL);
    gboolean e = g_file_test(p, G_FILE_TEST_EXISTS);
    g_free(p);
    return e;
}

void assert_same_files(const char *a, const char *b, const char *const *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *x = slurp(a, files[i]), *y = slurp(b, files[i]);
        g_test_message("comparing %s", files[i]);
        g_assert_nonnull(x);
        g_assert_nonnull(y);
        g_assert_cmpstr(x, ==, y);
        g_free(x);
        g_free(y);
    }
}

