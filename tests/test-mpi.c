/* tests/test-mpi.c — `mpirun -n 3 hnbsim sweep` on loopback (rank 0 hands out the runs, two ranks run them) writes
 * the same bytes as one process: a fixed grid, and a sequential-stopping sweep whose rounds depend on the results.
 * Built only with the meson feature mpi; skipped, saying so, if mpirun is missing. */
#include "tests/cli-common.h"

#include <string.h>

static const char *const files[] = {"points.csv", "aggregate.csv", "sweep.ini", "scenario.resolved.ini",
                                    "report.html", "figures/wait_p95.svg"};

static const char scenario[] = "[scenario]\nname = mpi-small\nmodel = informs\nduration = 1h\nseed = 3\n"
                               "replications = 3\n[fleet]\nsize = 300\n[inform]\ninterval = 10m\n[acs]\nworkers = 2\n"
                               "service = lognormal(1s,0.5)\n[sweep]\nvary = acs.workers=1..4\nmetrics = wait_p95\n";

/* mpirun -n 3 $HNBSIM sweep -q -o DIR PATH [extra...] in the scratch dir; returns the exit status.  The ranks run
 * with G_MESSAGES_DEBUG=all, and rank 0 must say it handed the runs to two worker ranks (so the bytes compared
 * below come from the MPI path, not from one rank running the whole sweep). */
static int mpirun(const char *mpi, const char *dir, const char *path, const char *extra1, const char *extra2)
{
    const char *argv[] = {mpi, "--allow-run-as-root", "--oversubscribe", "-x", "G_MESSAGES_DEBUG", "-n", "3",
                          g_getenv("HNBSIM"), "sweep", "-q", "-o", dir, path, extra1, extra2, NULL};
    g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "G_MESSAGES_DEBUG", "all", TRUE);
    int status = 0;
    g_autofree char *out = NULL, *err = NULL;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(scratch, (char **)argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                               &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_test_message("mpirun failed:\n%s\n%s", out, err);
    else
        g_assert_true(strstr(err, "runs handed to 2 worker ranks") || strstr(out, "runs handed to 2 worker ranks"));
    return status;
}

static void test_same_bytes(void)
{
    g_autofree char *mpi = g_find_program_in_path("mpirun");
    if (!mpi) {
        g_test_skip("mpirun is not installed (apt-get install openmpi-bin)");
        return;
    }
    g_autofree char *path = write_scenario("mpi.ini", scenario);
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "serial", path, NULL}, NULL, NULL), ==, 0);
    g_assert_cmpint(mpirun(mpi, "ranks", path, NULL, NULL), ==, 0);
    assert_same_files("serial", "ranks", files, G_N_ELEMENTS(files));

    /* rounds decided from the results: every rank must agree on them */
    g_assert_cmpint(hnbsim((const char *[]){"sweep", "-q", "-o", "serial-ci", "--ci-target", "wait_p95=20%",
                                            "--max-replications", "8", path, NULL},
                           NULL, NULL),
                    ==, 0);
    g_assert_cmpint(mpirun(mpi, "ranks-ci", path, "--ci-target=wait_p95=20%", "--max-replications=8"), ==, 0);
    assert_same_files("serial-ci", "ranks-ci", files, G_N_ELEMENTS(files));
    g_autofree char *points = slurp("ranks-ci", "points.csv");
    g_auto(GStrv) rows = g_strsplit(points, "\n", -1);
    g_assert_cmpuint(g_strv_length(rows), >, 14); /* more than the first round's 12 runs */
}

int main(int argc, char **argv)
{
    cli_init(&argc, &argv);
    g_test_add_func("/mpi/three-ranks-same-bytes", test_same_bytes);
    return cli_done();
}
