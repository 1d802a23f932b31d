/* tests/cli-common.h — running the real hnbsim binary ($HNBSIM) in a scratch directory, for the CLI tests. */
#ifndef HNB_TEST_CLI_COMMON_H
#define HNB_TEST_CLI_COMMON_H

#include <glib.h>

extern char *scratch; /* the test's scratch directory (cli_init makes it) */

/* g_test_init, $HNBSIM check and the scratch directory; cli_done runs the tests and removes the directory. */
void cli_init(int *argc, char ***argv);
int cli_done(void);

/* Run hnbsim with args (NULL-terminated) in the scratch dir; returns the exit status, fills out/err (may be NULL). */
int hnbsim(const char *const *args, char **out, char **err);
/* Write text to scratch/name; returns the path. */
char *write_scenario(const char *name, const char *text);
/* scratch/dir/file's content, NULL if unreadable. */
char *slurp(const char *dir, const char *file);
gboolean exists(const char *rel);
/* Each file is in both dirs, with the same bytes. */
void assert_same_files(const char *a, const char *b, const char *const *files, size_t n);

#endif
