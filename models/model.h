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
#include "results.h"
#include "scenario.h"
#include "sim.h"

/* Progress of one replication, written by the model, read by the runner's progress line from another thread. */
typedef struct {
    atomic_llong sim_ns;    /* simulated time reached */
    atomic_ullong events;   /* events run so far */
} HnbProgress;

typedef struct {
    const char *name; /* the value of [scenario] model */
    const char *doc;
    const HnbKeySpec *schema; /* its groups; HNB_KEY_END-terminated */
    const HnbFigure *figures;
    guint nfigures;
    /* Run replication `rep`.  `metrics` is empty on entry; *series receives a new series.  Returns FALSE with
     * HNB_ERROR_RUN only for real failures (resources), never for modelled outcomes. */
    gboolean (*run)(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *metrics,
                    HnbSeries **series, GError **error);
} HnbModel;

/* The [scenario] group every scenario has. */
extern const HnbKeySpec hnb_scenario_schema[];

/* All models, NULL-terminated; and look-up by name (NULL if unknown). */
extern const HnbModel *const hnb_models[];
const HnbModel *hnb_model_find(const char *name);

/* Run the kernel in slices up to `end`, publishing progress between slices. */
void hnb_model_run_kernel(HnbSim *sim, HnbTime end, HnbProgress *progress);

#endif
