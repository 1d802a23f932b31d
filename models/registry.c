/* models/registry.c — the [scenario] group and the list of models. */
#include "models/model.h"

#include <string.h>

#include "sim/scenario.h"
#include "crypto/tls.h"

extern const HnbModel hnb_model_informs, hnb_model_fleet, hnb_model_signing, hnb_model_trust, hnb_model_maintenance;

const HnbModel *const hnb_models[] = {&hnb_model_fleet,  &hnb_model_informs,     &hnb_model_signing,
                                      &hnb_model_trust, &hnb_model_maintenance, NULL};

const HnbKeySpec hnb_scenario_schema[] = {
    {"scenario", "name", HNB_KEY_STRING, 0, NULL, NULL, NULL, NULL,
     "short name; names the result directory and stamps every figure"},
    {"scenario", "description", HNB_KEY_STRING, 0, "", NULL, NULL, NULL, "one line on what the scenario asks"},
    {"scenario", "model", HNB_KEY_ENUM, 0, HNB_MODEL_DEFAULT, NULL, NULL, "fleet|informs|signing|trust|maintenance",
     "which model runs the scenario: fleet (the mass-rewrite study), informs (a plain M/G/c ACS), signing (signing "
     "servers: emergency-patch latency vs signing-key exposure), trust (the TrE verification certificate after a "
     "signing-key compromise), maintenance (lost local maintenance tools)"},
    {"scenario", "duration", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "1s", "3650d", NULL,
     "simulated time of one replication"},
    {"scenario", "seed", HNB_KEY_INT, 0, "1", "0", "9223372036854775807", NULL,
     "root of every random stream: same seed, same results"},
    {"scenario", "replications", HNB_KEY_INT, 0, "1", "1", "10000", NULL,
     "independent replications (the replication index is part of every stream key)"},
    {"scenario", "sample_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0", "0", "365d", NULL,
     "time-series sampling interval; 0 picks duration/288"},
    {"compare", "variants", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "scenario files to run side by side with this file's seed, replications and other keys (paths relative to "
     "this file, separated by spaces); empty: this file is a scenario, not a comparison"},
    /* studies over many runs of the scenario: `hnbsim sweep` and `hnbsim size` read these; `run` ignores them */
    {"sweep", "vary", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "hnbsim sweep's grid: GROUP.KEY=LIST or FROM..TO[:STEP|xFACTOR], several separated by ';' (their cross "
     "product); a LIST is comma-separated (commas inside parentheses belong to the value), e.g. "
     "acs.workers=1..8:1; download.bandwidth=1Gbps,10Gbps"},
    {"sweep", "metrics", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "metrics drawn against the first varied key, with 95% CI error bars (space-separated; empty: no figures)"},
    {"sweep", "ci_target", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "METRIC=HALFWIDTH or METRIC=P%: add replications to each point until the metric's 95% CI half-width is at "
     "most HALFWIDTH (in the metric's unit) or P% of its mean (empty: [scenario] replications per point)"},
    {"sweep", "max_replications", HNB_KEY_INT, 0, "50", "2", "10000", NULL,
     "with ci_target: the most replications a point gets (points that reach it are reported)"},
    {"size", "target", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "hnbsim size's targets: METRIC <= VALUE or METRIC >= VALUE (VALUE in the metric's unit, or a duration for a "
     "metric in h or s), several separated by ';'; every one must hold at the confidence bound"},
    {"size", "vary", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "the capacity key, GROUP.KEY=FROM..TO[:STEP|xFACTOR] or an ascending list, bisected for the smallest value "
     "meeting every target; a second entry after ';' is bisected for each value of the first"},
    {"size", "confidence", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "0.95", "0.5", "0.999", NULL,
     "confidence level of the two-sided Student-t interval whose bound must meet each target"},
    HNB_KEY_END,
};

const HnbModel *hnb_model_find(const char *name)
{
    for (const HnbModel *const *m = hnb_models; *m; m++)
        if (strcmp((*m)->name, name) == 0)
            return *m;
    return NULL;
}

HnbTime hnb_model_sample_interval(const HnbScenario *sc)
{
    HnbTime given = hnb_scenario_time(sc, "scenario", "sample_interval");
    HnbTime duration = hnb_scenario_time(sc, "scenario", "duration");
    return given > 0 ? given : duration / 288 > 0 ? duration / 288 : 1;
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

void hnb_model_schemas(const HnbModel *model, const HnbKeySpec **out, size_t max)
{
    size_t n = 0;
    out[n++] = hnb_scenario_schema;
    for (const HnbModel *const *m = hnb_models; *m; m++) {
        if (model && *m != model)
            continue;
        const HnbKeySpec *own[2] = {(*m)->schema, NULL};
        for (int pass = 0; pass < 2; pass++)
            for (const HnbKeySpec *const *x = pass == 0 ? own : (*m)->more_schemas; x && *x; x++) {
                gboolean dup = FALSE;
                for (size_t k = 0; k < n; k++)
                    dup |= out[k] == *x;
                if (!dup) {
                    g_assert(n + 1 < max);
                    out[n++] = *x;
                }
            }
    }
    out[n] = NULL;
}

/* The model a scenario text asks for, read leniently: a broken file gets its real error from the full load. */
static char *peek_model(GKeyFile *kf, char **sets)
{
    char *model = NULL;
    for (char **s = sets; s && *s; s++)
        if (g_str_has_prefix(*s, "scenario.model=")) {
            g_free(model);
            model = g_strdup(*s + strlen("scenario.model="));
        }
    if (!model && kf)
        model = g_key_file_get_string(kf, "scenario", "model", NULL);
    if (model)
        g_strstrip(model);
    return model;
}

gboolean hnb_model_has_tls(const HnbModel *model)
{
    for (const HnbKeySpec *const *x = model ? model->more_schemas : NULL; x && *x; x++)
        if (*x == hnb_tls_schema)
            return TRUE;
    return FALSE;
}

gboolean hnb_model_tls_report(const HnbScenario *sc, GString *report, gboolean *compliant, GError **error)
{
    if (compliant)
        *compliant = TRUE;
    if (!hnb_model_has_tls(hnb_model_find(hnb_scenario_string(sc, "scenario", "model"))))
        return TRUE;
    gboolean ok = FALSE;
    if (!hnb_tls_check(sc, report, &ok, error)) {
        g_prefix_error(error, "%s: [tls]: ", hnb_scenario_source(sc));
        return FALSE;
    }
    if (compliant)
        *compliant = ok;
    return TRUE;
}

void hnb_model_compliance(const HnbScenario *sc, const char *label, GString *report)
{
    const HnbModel *model = hnb_model_find(hnb_scenario_string(sc, "scenario", "model"));
    if (model == NULL || model->compliance == NULL)
        return;
    g_autoptr(GString) lines = g_string_new(NULL);
    model->compliance(sc, lines);
    if (lines->len > 0)
        g_string_append_printf(report, "%s%sTS 33.320 per path (clauses 6.1, 7, 8.3.4):\n%s", label ? label : "",
                               label ? ": " : "", lines->str);
}

/* TS 33.320 clause 8.3.4 as a condition of loading: a [tls] group that does not meet it is refused unless it says
 * profile = custom (then the run's results are marked).  The error names the file and lists the rules. */
static gboolean tls_profile_allowed(const HnbScenario *sc, GError **error)
{
    g_autoptr(GString) lines = g_string_new(NULL);
    gboolean compliant;
    if (!hnb_model_tls_report(sc, lines, &compliant, error))
        return FALSE;
    if (!compliant && strcmp(hnb_scenario_string(sc, "tls", "profile"), "custom") != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [tls] does not meet TS 33.320 clause 8.3.4 (set [tls] profile = custom to study a "
                    "non-compliant deployment):\n%s",
                    hnb_scenario_source(sc), lines->str);
        return FALSE;
    }
    return TRUE;
}

static HnbScenario *load(const char *path, const char *data, const char *name, char **sets, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    gboolean parsed = data ? g_key_file_load_from_data(kf, data, (gsize)-1, G_KEY_FILE_NONE, NULL)
                           : g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL);
    g_autofree char *model_name = peek_model(parsed ? kf : NULL, sets);
    const HnbModel *model = hnb_model_find(model_name ? model_name : HNB_MODEL_DEFAULT);
    const HnbKeySpec *schemas[32];
    /* an unknown model: validate against the default model's tables, so the loader reports the bad [scenario] model
     * value with its file and line (models may share group and key names, so not against all at once) */
    hnb_model_schemas(model ? model : hnb_model_find(HNB_MODEL_DEFAULT), schemas, G_N_ELEMENTS(schemas));
    HnbScenario *sc = data ? hnb_scenario_load_data(data, strlen(data), name, schemas, sets, error)
                           : hnb_scenario_load(path, schemas, sets, error);
    if (sc && model && ((model->resolve && !model->resolve(sc, error)) ||
                        (model->validate && !model->validate(sc, error)) || !tls_profile_allowed(sc, error))) {
        hnb_scenario_free(sc);
        return NULL;
    }
    return sc;
}

HnbScenario *hnb_model_load(const char *path, char **sets, GError **error)
{
    return load(path, NULL, NULL, sets, error);
}

HnbScenario *hnb_model_load_data(const char *data, const char *name, char **sets, GError **error)
{
    return load(NULL, data, name, sets, error);
}
