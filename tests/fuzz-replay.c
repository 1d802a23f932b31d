/* tests/fuzz-replay.c — main() for a libFuzzer target built without libFuzzer: replays the files named on the command
 * line, or every file of a named directory in name order (dot files skipped), through LLVMFuzzerTestOneInput.  This
 * is how every build, the sanitizer build included, reruns a target's corpus and its saved crashes
 * (tests/meson.build: fuzz-replay, fuzz-acs-replay).  A broken promise aborts inside the target. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prog = "fuzz-replay";

static int run_file(const char *path)
{
    char *data = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &data, &len, &e)) {
        fprintf(stderr, "%s: %s\n", prog, e->message);
        g_error_free(e);
        return 1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    g_free(data);
    return 0;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int failed = 0, ran = 0;
    prog = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
            failed |= run_file(argv[i]);
            ran++;
            continue;
        }
        GError *e = NULL;
        GDir *dir = g_dir_open(argv[i], 0, &e);
        if (!dir) {
            fprintf(stderr, "%s: %s\n", prog, e->message);
            g_error_free(e);
            failed = 1;
            continue;
        }
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        for (const char *n; (n = g_dir_read_name(dir));)
            if (n[0] != '.') /* .gitkeep and friends */
                g_ptr_array_add(names, g_build_filename(argv[i], n, NULL));
        g_dir_close(dir);
        g_ptr_array_sort(names, by_name);
        for (guint j = 0; j < names->len; j++) {
            if (g_file_test(names->pdata[j], G_FILE_TEST_IS_REGULAR)) {
                failed |= run_file(names->pdata[j]);
                ran++;
            }
        }
        g_ptr_array_unref(names);
    }
    printf("%s: %d input%s replayed\n", prog, ran, ran == 1 ? "" : "s");
    return failed;
}
