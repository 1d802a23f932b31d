/* tools/hnbsim.c — `hnbsim`: dispatch to a subcommand. */
#include "tools/cli.h"
#include "tools/mpi_jobs.h"
#include "models/model.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"run", hnb_cmd_run, "run scenarios and write result directories (default: scenarios/default.ini)"},
    {"sweep", hnb_cmd_sweep, "run a scenario over a grid of parameter values, with replications and 95% CIs"},
    {"merge", hnb_cmd_merge, "join the shard directories of a sweep (sweep --shard I/N) into one result"},
    {"size", hnb_cmd_size, "find the smallest capacity (workers, bandwidth...) meeting targets with confidence"},
    {"check", hnb_cmd_check, "validate scenarios without running them"},
    {"describe", hnb_cmd_describe, "list every scenario key with its type, default, range and meaning"},
    {"bench", hnb_cmd_bench,
     "benchmarks: `bench kernel` (hold model), `bench mm1` (M/M/1 on the kernel), `bench handshake` (TLS engine)"},
#ifndef HNB_MPI_BUILD
    {"acs", hnb_cmd_acs, "serve the ACS's TLS endpoint (TS 33.320 §8.3.4 profile) on a real TCP socket"},
    {"drive", hnb_cmd_drive, "play a scenario's fleet as real HNB clients against a real H(e)MS; measured results"},
#endif
    {"probe", hnb_cmd_probe, "act as an HNB against an HTTPS server and print its §8.3.4 compliance table"},
    {"pki", hnb_cmd_pki, "export the simulated PKI (root/H(e)MS/manufacturer CA, devices, signing key, CRL) as PEM"},
    {"calibrate", hnb_cmd_calibrate, "measure CPU time per TLS handshake and image verification; write a calibration file"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: hnbsim COMMAND [OPTIONS...]\n\n"
               "A discrete-event simulator of Home NodeB fleets, their software download and recovery.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nOptions:\n  -h, --help     show this help\n  --version      print the version\n\n"
               "`hnbsim COMMAND --help` describes a command.  Exit status: 0 ok, 1 run failure, 2 bad input.\n");
}

int main(int argc, char **argv)
{
    /* numbers in scenario files and results are always C-locale; messages may follow the user's locale */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    if (argc < 2) {
        usage(stderr);
        return HNB_EXIT_INPUT;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("hnbsim %s\n", HNB_VERSION);
        return HNB_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return HNB_EXIT_OK;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            /* under mpirun, sweep runs its points across the ranks (tools/mpi_jobs.c) */
            gboolean mpi = strcmp(commands[i].name, "sweep") == 0;
            if (mpi)
                hnb_mpi_exec(argv); /* returns only if this binary is the one to run */
            if (mpi && !hnb_mpi_init(&argc, &argv)) {
                fprintf(stderr, "hnbsim: MPI_Init failed\n");
                return HNB_EXIT_RUN;
            }
            char *name = g_strdup_printf("hnbsim %s", commands[i].name);
            char *saved = argv[1];
            argv[1] = name;
            int rc = commands[i].fn(argc - 1, argv + 1);
            argv[1] = saved;
            g_free(name);
            if (mpi)
                hnb_mpi_finish();
            return rc;
        }
    }
    fprintf(stderr, "hnbsim: unknown command \"%s\"\n\n", argv[1]);
    usage(stderr);
    return HNB_EXIT_INPUT;
}
