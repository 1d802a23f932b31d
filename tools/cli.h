/* tools/cli.h — the `hnbsim` subcommands.  Each takes the argv after the subcommand name (argv[0] is
 * "hnbsim SUBCOMMAND") and returns the process exit status: 0 ok, 1 run failure, 2 bad input. */
#ifndef HNB_CLI_H
#define HNB_CLI_H

#include <glib.h>
#include "results/results.h"
#include "sim/scenario.h"

enum { HNB_EXIT_OK = 0, HNB_EXIT_RUN = 1, HNB_EXIT_INPUT = 2 };

int hnb_cmd_run(int argc, char **argv);
int hnb_cmd_sweep(int argc, char **argv); /* tools/cmd_sweep.c: a scenario over a grid of values */
int hnb_cmd_merge(int argc, char **argv); /* tools/cmd_merge.c: join a sweep's shard directories */
int hnb_cmd_size(int argc, char **argv);  /* tools/cmd_size.c: capacity sizing by bisection */
int hnb_cmd_check(int argc, char **argv);
int hnb_cmd_describe(int argc, char **argv);
int hnb_cmd_bench(int argc, char **argv);
int hnb_cmd_acs(int argc, char **argv);   /* tools/cmd_acs.c: the ACS TLS endpoint on TCP */
int hnb_cmd_probe(int argc, char **argv); /* tools/cmd_probe.c: a server's §8.3.4 compliance */
int hnb_cmd_pki(int argc, char **argv);       /* tools/cmd_pki.c: export the simulated PKI as PEM */
int hnb_cmd_calibrate(int argc, char **argv); /* tools/cmd_calibrate.c: CPU cost of handshakes and signatures */
int hnb_cmd_drive(int argc, char **argv);     /* tools/cmd_drive.c: a scenario's fleet against a real H(e)MS */

/* Print "hnbsim: <message>" on stderr and map the error to an exit status (HNB_ERROR_INPUT and option errors: 2). */
int hnb_cli_fail(GError *error);

/* The end of writing a result directory: rd (NULL: never begun) is committed when ok, else removed.  The exit
 * status; a failure (error, or the commit's) is printed as by hnb_cli_fail. */
int hnb_cli_finish(HnbRunDir *rd, gboolean ok, GError *error);

/* One scenario's result directory from results made elsewhere (tools/cmd_run.c writes it as `hnbsim run` does):
 * `hnbsim drive`'s measured replication.  manifest_extra: more members of manifest.json (NULL: none); files: more
 * files, NULL-terminated pairs of name and text (NULL: none), written before the directory appears.  Prints nothing
 * on success; the exit status. */
int hnb_run_write_dir(const HnbScenario *sc, guint reps, HnbMetrics **metrics, HnbSeries **series, HnbSeries **cdf,
                      const char *dir, gboolean force, unsigned threads, double wall, const char *manifest_extra,
                      const char *const *files);

/* Every replication of sc ([scenario] replications) as `hnbsim run` runs them, on up to `threads` threads (label: the
 * progress line's head on stderr, NULL: silent): *reps and three new arrays of that many, in replication order (free
 * each element and the array).  FALSE with the first replication's error. */
gboolean hnb_run_replications(const HnbScenario *sc, unsigned threads, const char *label, guint *reps,
                              HnbMetrics ***metrics, HnbSeries ***series, HnbSeries ***cdf, GError **error);

/* The same for n variants side by side (a comparison directory: a subdirectory each named by its [scenario] name,
 * compare.csv, the joint figures), as `hnbsim run A B` writes it: `hnbsim drive --model`'s model and measured runs.
 * Variant k has reps[k] replications' metrics[k], series[k], cdf[k]. */
int hnb_run_write_compare_dir(HnbScenario *const *scs, guint n, const guint *reps, HnbMetrics **const *metrics,
                              HnbSeries **const *series, HnbSeries **const *cdf, const char *dir, gboolean force,
                              unsigned threads, double wall, const char *manifest_extra, const char *const *files);

/* Load a scenario with the [scenario] schema plus its model's schema (read from [scenario] model). */
HnbScenario *hnb_cli_load(const char *path, char **sets, GError **error);

/* --threads as given (0: all processors) checked to 1..4096; prints "CMD: --threads N: ..." and returns
 * HNB_EXIT_INPUT when out of range. */
int hnb_cli_threads(const char *cmd, gint *threads);

/* The --set overrides, with --seed and --replications (G_MININT64: not given) as scenario.seed= and
 * scenario.replications= overrides, validated the same way.  Not NULL-terminated: callers add their own. */
GPtrArray *hnb_cli_sets(char **sets, gint64 seed, gint64 replications);

/* scenarios/default.ini: in the working directory if there, else in the source tree hnbsim was built from. */
char *hnb_cli_default_scenario(void);

#endif
