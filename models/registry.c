/* models/registry.c — the [scenario] group and the list of models. */
#include "model.h"

#include <string.h>

extern const HnbModel hnb_model_informs;

const HnbModel *const hnb_models[] = {&hnb_model_informs, NULL};

const HnbKeySpec hnb_scenario_schema[] = {
    {"scenario", "name", HNB_KEY_STRING, 0, NULL, NULL, NULL, NULL,
     "short name; names the result directory and stamps every figure"},
    {"scenario", "description", HNB_KEY_STRING, 0, "", NULL, NULL, NULL, "one line on what the scenario asks"},
    {"scenario", "model", HNB_KEY_ENUM, 0, "informs", NULL, NULL, "informs", "which model runs the scenario"},
    {"scenario", "duration", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "1s", "3650d", NULL,
     "simulated time of one replication"},
    {"scenario", "seed", HNB_KEY_INT, 0, "1", "0", "9223372036854775807", NULL,
     "root of every random stream: same seed, same results"},
    {"scenario", "replications", HNB_KEY_INT, 0, "1", "1", "10000", NULL,
     "independent replications (the replication index is part of every stream key)"},
    {"scenario", "sample_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0", "0", "365d", NULL,
     "time-series sampling interval; 0 picks duration/288"},
    HNB_KEY_END,
};

const HnbModel *hnb_model_find(const char *name)
{
    for (const HnbModel *const *m = hnb_models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

void hnb_model_run_kernel(HnbSim *sim, HnbTime end, HnbProgress *progress)
{
    /* 256 slices: fine enough for a progress line, coarse enough to cost nothing */
    HnbTime step = end / 256 > 0 ? end / 256 : 1;
    for (HnbTime t = hnb_sim_now(sim); t < end;) {
        t = end - t > step ? t + step : end;
        HnbRunStatus st = hnb_sim_run(sim, t);
        if (progress) {
            atomic_store_explicit(&progress->sim_ns, hnb_sim_now(sim), memory_order_relaxed);
            atomic_store_explicit(&progress->events, hnb_sim_events_run(sim), memory_order_relaxed);
        }
        if (st == HNB_RUN_STOPPED)
            break;
    }
}
