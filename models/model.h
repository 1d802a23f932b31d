/* models/model.h — how a model plugs into hnbsim.
 *
 * A model is a table: its scenario schema, its figures and a function that runs ONE replication of a loaded scenario
 * and fills that replication's metrics and time series.  The runner (tools/cmd_run.c) owns everything else: loading,
 * replications across threads, the result directory, figures.  A replication must be a pure function of
 * (scenario, replication index): draw only from hnb_stream(seed, replication, ...) streams and never read the clock.
 */
#ifndef HNB_MODEL_H
#define HNB_MODEL_H

#include <stdatomic.h>
#include "results/results.h"
#include "sim/scenario.h"
#include "sim/sim.h"

/* Progress of one replication, written by the model, read by the runner's progress line from another thread. */
typedef struct {
    atomic_llong sim_ns;    /* simulated time reached */
    atomic_ullong events;   /* events run so far */
    unsigned pool_threads;  /* set by the runner: worker-pool threads this replication may start (0: inline) */
} HnbProgress;

typedef struct {
    const char *name; /* the value of [scenario] model */
    const char *doc;
    const HnbKeySpec *schema;              /* its groups; HNB_KEY_END-terminated */
    const HnbKeySpec *const *more_schemas; /* tables it shares with other modules (e.g. [tls], [pki]); NULL-ended */
    const HnbFigure *figures;
    guint nfigures;
    /* Run replication `rep`.  `metrics` is empty on entry; *series receives a new time series; *cdf may receive a
     * distribution table (columns: value, fraction; written as cdf.csv and drawn in comparisons) or stay NULL.
     * Returns FALSE with HNB_ERROR_RUN only for real failures (resources), never for modelled outcomes. */
    gboolean (*run)(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *metrics,
                    HnbSeries **series, HnbSeries **cdf, GError **error);
    /* Figures drawn across variants when several are compared (may be NULL). */
    const struct HnbCompareFigure *compare_figures;
    guint ncompare_figures;
    /* Checks across keys that the schema cannot express (NULL: none).  HNB_ERROR_INPUT naming file and key. */
    gboolean (*validate)(const HnbScenario *sc, GError **error);
    /* A table over all replications (NULL: none), e.g. a curve over a parameter with quantiles across replications:
     * built from the replications' metrics after they all ran, written as table_file (hnb_results_write_table) and
     * drawn by table_figures.  Returns a new table. */
    HnbSeries *(*table)(const HnbScenario *sc, HnbMetrics *const *reps, guint nreps);
    const char *table_file;
    const HnbTableFigure *table_figures;
    guint ntable_figures;
    /* Derive values when a scenario is loaded, before validate (NULL: none), e.g. from a file a key names; writes
     * them with hnb_scenario_resolve so the resolved scenario reproduces the run.  HNB_ERROR_INPUT on bad input. */
    gboolean (*resolve)(HnbScenario *sc, GError **error);
    /* What the report says first (NULL: no findings paragraph): one clause per metric, composed per variant from
     * the means in summary.csv or compare.csv (HnbFinding, results/results.h); metrics a run lacks are skipped. */
    const HnbFinding *findings;
    guint nfindings;
    /* The assumptions every figure's caption states, as clauses over the scenario's keys ("{fleet.size} HNBs"), NULL
     * ended (hnb_results_caption; NULL: only the replications and duration).  Keys a scenario lacks are skipped. */
    const char *const *caption;
    /* The episode worth a closer look in the time-series figures (NULL: none), from the scenario and the
     * replications' metrics: fills *zoom (in the series' time unit, with how it was chosen) and returns TRUE, or
     * FALSE when there is none (no attack, or the episode is most of the run). */
    gboolean (*episode)(const HnbScenario *sc, HnbMetrics *const *reps, guint nreps, HnbZoom *zoom);
    /* Compliance lines beyond the [tls] group's (NULL: none): appends "PASS  ...", "FAIL  ..." or "WARN  ..." lines
     * for a loaded scenario, e.g. one per path an HNB uses (the fleet's models/paths.h).  `check` prints them and
     * report.html shows them (hnb_model_compliance); they never refuse a scenario nor change a metric. */
    void (*compliance)(const HnbScenario *sc, GString *out);
} HnbModel;

/* The model a scenario runs when [scenario] model is absent. */
#define HNB_MODEL_DEFAULT "fleet"

/* The [scenario] group every scenario has. */
extern const HnbKeySpec hnb_scenario_schema[];

/* All models, NULL-terminated; and look-up by name (NULL if unknown). */
extern const HnbModel *const hnb_models[];
const HnbModel *hnb_model_find(const char *name);

/* The schema tables a scenario of `model` is validated against: [scenario], the model's, the ones it shares (NULL
 * model: every model's, for `describe`).  Fills out (NULL-terminated, at most max entries including the NULL). */
void hnb_model_schemas(const HnbModel *model, const HnbKeySpec **out, size_t max);

/* Load a scenario as `hnbsim run` does: [scenario] model picks the model (the file's, or a scenario.model= in sets),
 * then the model's own checks, then TS 33.320 clause 8.3.4: a [tls] group that does not meet it and does not say
 * profile = custom is refused with HNB_ERROR_INPUT naming the file and listing the rules (so every command that loads
 * a scenario refuses it, with the same words). */
HnbScenario *hnb_model_load(const char *path, char **sets, GError **error);
HnbScenario *hnb_model_load_data(const char *data, const char *name, char **sets, GError **error);

/* Does the model's scenario have the [tls] group (a TLS profile to check against TS 33.320 clause 8.3.4)? */
gboolean hnb_model_has_tls(const HnbModel *model);

/* The clause 8.3.4 report of a loaded scenario's [tls] group, for `check` and the results' report: appends one line
 * per rule and the verdict to `report`; *compliant (may be NULL) is FALSE when a rule FAILs (a loaded scenario is
 * then one that says profile = custom).  Scenarios without [tls]: TRUE, nothing appended, *compliant TRUE.  FALSE
 * with an error (prefixed with the file and group) only if the [tls] values cannot be turned into contexts. */
gboolean hnb_model_tls_report(const HnbScenario *sc, GString *report, gboolean *compliant, GError **error);

/* The model's own compliance lines (HnbModel.compliance) under a heading line ending in ':' (which report.html shows
 * as a heading row), the heading starting with "LABEL: " when label is not NULL (a comparison's variant); appends
 * nothing when the model has none or they are empty. */
void hnb_model_compliance(const HnbScenario *sc, const char *label, GString *report);

/* [scenario] sample_interval, or duration/288 (at least 1 ns) when it is 0. */
HnbTime hnb_model_sample_interval(const HnbScenario *sc);

/* Run the kernel in slices up to `end`, publishing progress between slices. */
void hnb_model_run_kernel(HnbSim *sim, HnbTime end, HnbProgress *progress);

#endif
