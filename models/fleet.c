/* models/fleet.c — the fleet model: the mass DoS rewrite study (the seed's first doubt) as one scenario.
 *
 * Wires the parts of fleet.h onto one kernel — the HNBs (hnb.c), the H(e)MS/ACS (acs.c) with real TLS handshakes
 * (acs_tls.c), secure boot (secure_boot.c), the image server (image_server.c over download.c), the field force
 * (field.c) and the attacker (attack.c) — samples the fleet's state and the H(e)MS load, and reports recovery times,
 * load, handshakes by outcome, field visits and cost.
 *
 * A replication: read every part's parameters from the scenario (fleet_params), build the parts in dependency order
 * (parts_new), run the kernel, read the counters (metrics, recovery_cdf), free the parts in the mirrored order
 * (parts_free).  The order of construction is part of the results: it fixes the order of the first events.
 */
#include "models/acs.h"
#include "models/acs_tls.h"
#include "models/attack.h"
#include "models/calibration.h"
#include "models/field.h"
#include "models/hnb.h"
#include "models/image_server.h"
#include "models/model.h"
#include "models/secure_boot.h"

#include <math.h>
#include <string.h>

/* Everything read from the scenario: const during the run. */
typedef struct {
    uint64_t seed;
    HnbTime duration, sample;
    HnbPopulationParams hnb;
    HnbAcsParams acs;
    HnbAcsTlsParams tls;
    HnbImageServerParams images;
    HnbFieldParams field;
    HnbAttackParams attack;
    double subscriber_hour; /* [cost] */
} FleetParams;

/* One replication: the parts and the sampler. */
typedef struct {
    const FleetParams *p;
    HnbSim *sim;
    HnbAcsTls *tls;
    HnbSecureBoot *boot;
    HnbPopulation *hnbs;
    HnbImageServer *images;
    HnbField *field;
    HnbAcs *acs;
    HnbAttack *attack;
    gboolean tls_compliant;
    /* sampler */
    uint32_t k_sample;
    HnbSeries *series;
    uint64_t sessions_at_sample, refused_at_sample;
    double bytes_at_sample;
} Fleet;

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbAcsStats *as = hnb_acs_stats(f->acs);
    double secs = hnb_time_to_sec(f->p->sample);
    double bytes = hnb_image_server_bytes_delivered(f->images, ev->time);
    const uint64_t *unmanaged = hs->unmanaged;
    uint64_t n = f->p->hnb.n;
    double row[] = {
        hnb_time_to_sec(ev->time) / 3600.0,
        (double)hs->count[HNB_S_RUNNING],
        (double)hs->compromised_now,
        (double)hs->count[HNB_S_BOOTING],
        (double)hs->count[HNB_S_GOLDEN],
        (double)hs->count[HNB_S_DOWNLOADING],
        (double)hs->count[HNB_S_INSTALLING],
        (double)hs->count[HNB_S_BRICKED],
        (double)(as->sessions - f->sessions_at_sample) / secs,
        (double)(as->refused - f->refused_at_sample) / secs,
        (double)as->open,
        (double)as->busy,
        (bytes - f->bytes_at_sample) * 8 / secs / 1e9,
        (double)(n - unmanaged[HNB_HS_OK]),
        (double)unmanaged[HNB_TLS_NOT_YET_VALID],
        (double)unmanaged[HNB_TLS_EXPIRED],
        (double)(n - unmanaged[HNB_HS_OK] - unmanaged[HNB_TLS_NOT_YET_VALID] - unmanaged[HNB_TLS_EXPIRED]),
    };
    hnb_series_add_row(f->series, row);
    f->sessions_at_sample = as->sessions;
    f->refused_at_sample = as->refused;
    f->bytes_at_sample = bytes;
    if (ev->time + f->p->sample <= f->p->duration)
        hnb_sim_schedule(sim, ev->time + f->p->sample, f->k_sample, 0, 0);
}

static gboolean validate(const HnbScenario *sc, GError **error)
{
    const char *fid = hnb_scenario_string(sc, "tls", "fidelity");
    HnbTlsFidelity fidelity;
    if (!hnb_tls_fidelity_parse(fid, &fidelity)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [tls] fidelity = \"%s\": expected full or sampled:N with N a whole number >= 1",
                    hnb_scenario_source(sc), fid);
        return FALSE;
    }
    /* the [pki] and [tls] values the schema cannot check (revoked lists, epochs, version bounds): at load time, so
     * `check` reports them and `run` refuses them before anything runs */
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean pki_ok = hnb_pki_params_from_scenario(&pp, sc, error);
    hnb_pki_params_clear(&pp);
    if (!pki_ok)
        return FALSE;
    HnbTlsConfig tc;
    hnb_tls_config_init(&tc);
    gboolean tls_ok = hnb_tls_config_from_scenario(&tc, sc, error);
    hnb_tls_config_clear(&tc);
    if (!tls_ok)
        return FALSE;
    HnbFieldParams fp;
    return hnb_field_params_from_scenario(&fp, sc, error);
}

static HnbLayout layout_of(const char *s)
{
    return strcmp(s, "single") == 0   ? HNB_LAYOUT_SINGLE
           : strcmp(s, "golden") == 0 ? HNB_LAYOUT_GOLDEN
           : strcmp(s, "ab") == 0     ? HNB_LAYOUT_AB
                                      : HNB_LAYOUT_AB_GOLDEN;
}

static HnbPopulationParams hnb_params(const HnbScenario *sc)
{
    const HnbDist *verify = hnb_scenario_dist(sc, "hnb", "image_verify_time");
    return (HnbPopulationParams){
        .n = (uint32_t)hnb_scenario_int(sc, "fleet", "size"),
        .layout = layout_of(hnb_scenario_string(sc, "hnb", "layout")),
        .golden_tls = hnb_scenario_bool(sc, "golden", "tls"),
        .inform_interval = hnb_scenario_time(sc, "cwmp", "periodic_interval"),
        .boot_delay = hnb_scenario_dist(sc, "cwmp", "boot_delay"),
        .retry = {hnb_scenario_time(sc, "cwmp", "retry_min_wait"),
                  (unsigned)hnb_scenario_int(sc, "cwmp", "retry_multiplier")},
        .boot_time = hnb_scenario_dist(sc, "hnb", "boot_time"),
        .install_time = hnb_scenario_dist(sc, "hnb", "install_time"),
        .image_verify = hnb_dist_mean(verify) > 0 ? verify : NULL,
        .access_link = hnb_scenario_dist(sc, "download", "access_link"),
        .dl_timeout = hnb_scenario_time(sc, "download", "timeout"),
        .power_mtbf = hnb_scenario_time(sc, "power", "mtbf"),
        .power_outage = hnb_scenario_dist(sc, "power", "outage"),
        .clock_save = hnb_scenario_time(sc, "power", "clock_save_interval"),
        .clock_drift = hnb_scenario_number(sc, "power", "clock_drift") * 1e-6,
        .ntp = hnb_scenario_bool(sc, "power", "ntp"),
        .ntp_delay = hnb_scenario_dist(sc, "power", "ntp_delay"),
        .region_at = hnb_scenario_time(sc, "power", "region_at"),
        .region_fraction = hnb_scenario_number(sc, "power", "region_fraction"),
        .region_outage = hnb_scenario_dist(sc, "power", "region_outage"),
    };
}

static HnbAcsParams acs_params(const HnbScenario *sc)
{
    return (HnbAcsParams){
        .workers = hnb_scenario_int(sc, "acs", "workers"),
        .max_sessions = hnb_scenario_int(sc, "acs", "max_sessions"),
        .queue_limit = hnb_scenario_int(sc, "acs", "queue_limit"),
        .hs_full = hnb_scenario_dist(sc, "acs", "handshake_time"),
        .hs_resumed = hnb_scenario_dist(sc, "acs", "resumed_handshake_time"),
        .cwmp_cpu = hnb_scenario_dist(sc, "acs", "cwmp_time"),
        .rtt = hnb_scenario_dist(sc, "acs", "rtt"),
        .resumption = hnb_acs_tls_resumption(sc),
    };
}

static HnbAttackParams attack_params(const HnbScenario *sc)
{
    return (HnbAttackParams){
        .mode = hnb_attack_mode_parse(hnb_scenario_string(sc, "attack", "mode")),
        .start = hnb_scenario_time(sc, "attack", "start"),
        .fraction = hnb_scenario_number(sc, "attack", "fraction"),
        .spread_rate = hnb_scenario_number(sc, "attack", "spread_rate"),
        .banks = hnb_attack_banks_parse(hnb_scenario_string(sc, "attack", "banks")),
        .reboot_delay = hnb_scenario_dist(sc, "attack", "reboot_delay"),
    };
}

/* Every part's parameters; the scenario was validated at load. */
static void fleet_params(FleetParams *p, const HnbScenario *sc, const HnbProgress *progress)
{
    *p = (FleetParams){
        .seed = (uint64_t)hnb_scenario_int(sc, "scenario", "seed"),
        .duration = hnb_scenario_time(sc, "scenario", "duration"),
        .sample = hnb_model_sample_interval(sc),
        .hnb = hnb_params(sc),
        .acs = acs_params(sc),
        .images = {.bandwidth = hnb_scenario_number(sc, "download", "bandwidth"),
                   .image_bytes = hnb_scenario_number(sc, "download", "image_size")},
        .attack = attack_params(sc),
        .subscriber_hour = hnb_scenario_number(sc, "cost", "subscriber_hour"),
    };
    p->tls = (HnbAcsTlsParams){
        .hnbs = p->hnb.n,
        .workers = p->acs.workers,
        .resumption = p->acs.resumption,
        .threads = progress ? progress->pool_threads : 0,
        .duration = p->duration,
    };
    hnb_tls_fidelity_parse(hnb_scenario_string(sc, "tls", "fidelity"), &p->tls.fidelity);
    hnb_field_params_from_scenario(&p->field, sc, NULL);
}

static void metrics(const Fleet *f, HnbMetrics *m)
{
    const FleetParams *p = f->p;
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbAcsStats *as = hnb_acs_stats(f->acs);
    const HnbImageServerStats *is = hnb_image_server_stats(f->images);
    const HnbSecureBootStats *bs = hnb_secure_boot_stats(f->boot);
    const HnbAttackStats *ats = hnb_attack_stats(f->attack);
    HnbFieldStats fs = {0};
    if (f->field)
        hnb_field_stats(f->field, &fs);
    double lost_h = hnb_population_downtime_ns(f->hnbs, p->duration) / 3600e9;
    double sub_cost = lost_h * p->subscriber_hour;
    const HnbTally *rec = &hs->recover_h;
    hnb_metrics_add(m, "hnbs", "HNBs", p->hnb.n, "fleet size");
    hnb_metrics_add(m, "attacked", "HNBs", (double)ats->attacked, "HNBs whose writable images the attacker rewrote");
    hnb_metrics_add(m, "affected", "HNBs", (double)hs->affected, "rewritten HNBs that rebooted and lost service");
    hnb_metrics_add(m, "recovered", "HNBs", (double)hs->recovered, "affected HNBs back in service by the end");
    hnb_metrics_add(m, "unrecovered", "HNBs", (double)(hs->affected - hs->recovered),
                    "affected HNBs still out of service at the end");
    hnb_metrics_add(m, "bricked", "HNBs", (double)hs->bricked_total, "boots that found no bootable image (need the field)");
    hnb_metrics_add(m, "recover_mean", "h", rec->n ? rec->mean : NAN, "mean time to recover");
    hnb_metrics_add(m, "recover_p50", "h", hnb_tally_quantile(rec, 0.5), "median time to recover");
    hnb_metrics_add(m, "recover_p95", "h", hnb_tally_quantile(rec, 0.95), "95th percentile time to recover");
    hnb_metrics_add(m, "recover_p99", "h", hnb_tally_quantile(rec, 0.99), "99th percentile time to recover");
    hnb_metrics_add(m, "recover_max", "h", rec->n ? rec->max : NAN, "longest time to recover");
    /* recover_p* above describe only the HNBs that recovered before the horizon, so they shrink with it; the
     * Kaplan-Meier estimate counts the HNBs still down as "longer than they have waited" (sim/survival.h). */
    const HnbSurvival *km = &hs->recover_km; /* complete and sorted: hnb_population_censor ran */
    hnb_metrics_add(m, "censored", "HNBs", (double)(km->n - km->events),
                    "affected HNBs still down at the end: their time to recover is only known to exceed their wait");
    hnb_metrics_add(m, "recover_km_p50", "h", hnb_survival_quantile(km, 0.5),
                    "median time to recover, Kaplan-Meier with the HNBs still down censored at the end; inf: beyond "
                    "the horizon");
    hnb_metrics_add(m, "recover_km_p95", "h", hnb_survival_quantile(km, 0.95),
                    "95th percentile time to recover, Kaplan-Meier (censored at the end); inf: beyond the horizon");
    hnb_metrics_add(m, "makespan", "h",
                    hs->recovered ? hnb_time_to_sec(hs->last_recovery - p->attack.start) / 3600.0 : NAN,
                    "from the attack to the last recovery");
    hnb_metrics_add(m, "subscriber_hours_lost", "h", lost_h, "HNB-hours out of service");
    hnb_metrics_add(m, "truck_rolls", "visits", (double)fs.truck_rolls, "technician visits started");
    hnb_metrics_add(m, "ship_backs", "units", (double)fs.ship_backs, "units shipped back to a depot");
    hnb_metrics_add(m, "field_waiting", "HNBs", (double)fs.waiting, "field jobs not started by the end");
    hnb_metrics_add(m, "field_cost", "cost", fs.cost, "truck rolls and ship-backs");
    hnb_metrics_add(m, "downtime_cost", "cost", sub_cost, "subscriber-hours lost x [cost] subscriber_hour");
    hnb_metrics_add(m, "total_cost", "cost", fs.cost + sub_cost, "field + downtime");
    hnb_metrics_add(m, "sessions", "sessions", (double)as->sessions, "CWMP sessions the HNBs opened");
    hnb_metrics_add(m, "sessions_completed", "sessions", (double)as->completed, "sessions that ended well");
    hnb_metrics_add(m, "sessions_refused", "sessions", (double)as->refused, "refused at admission (overload)");
    hnb_metrics_add(m, "sessions_failed", "sessions", (double)as->failed, "admitted but failed (TLS)");
    hnb_metrics_add(m, "sessions_open", "sessions", (double)as->open, "still open at the end");
    hnb_metrics_add(m, "refused_fraction", "", as->sessions ? (double)as->refused / (double)as->sessions : 0,
                    "refused / opened");
    hnb_metrics_add(m, "handshakes", "handshakes", (double)as->handshakes, "TLS handshakes");
    hnb_metrics_add(m, "handshakes_real", "handshakes", (double)as->real_handshakes,
                    "of which real OpenSSL handshakes (the rest sampled, [tls] fidelity)");
    hnb_metrics_add(m, "handshakes_resumed", "handshakes", (double)as->resumed, "abbreviated (resumed) handshakes");
    for (int k = 0; k < HNB_HS_COUNT; k++) {
        char name[48];
        g_snprintf(name, sizeof name, "hs_%s", hnb_tls_reason_name((HnbTlsReason)k));
        hnb_metrics_add(m, name, "handshakes", (double)as->hs[k], "handshakes with this outcome");
    }
    hnb_metrics_add(m, "downloads_started", "downloads", (double)is->started, "image downloads started");
    hnb_metrics_add(m, "downloads_completed", "downloads", (double)is->completed, "completed");
    hnb_metrics_add(m, "downloads_failed", "downloads", (double)is->failed, "timed out or cut by a reboot");
    hnb_metrics_add(m, "downloads_running", "downloads", (double)hnb_image_server_active(f->images),
                    "still running at the end");
    hnb_metrics_add(m, "acs_utilisation", "", hnb_gauge_mean(&as->busy_gauge, p->duration) / (double)p->acs.workers,
                    "time-average busy workers / workers");
    hnb_metrics_add(m, "acs_open_max", "sessions", (double)as->open_max, "most sessions open at once");
    hnb_metrics_add(m, "download_peak", "Gbit/s", is->peak_bps / 1e9, "highest aggregate download rate");
    hnb_metrics_add(m, "tls_profile_compliant", "", f->tls_compliant ? 1 : 0,
                    "1 if the [tls] group meets TS 33.320 clause 8.3.4, 0 if profile = custom departs from it");
    hnb_metrics_add(m, "image_checks", "checks", (double)bs->checks,
                    "signature checks of images (secure boot, downloads): real EVP verifications");
    hnb_metrics_add(m, "image_rejected", "checks", (double)bs->rejected,
                    "checks that failed: rewritten images found by secure boot");
    hnb_metrics_add(m, "power_failures", "failures", (double)hs->power_failures, "power failures of any HNB");
    hnb_metrics_add(m, "retries", "retries", (double)hs->retries, "session retries (TR-069 3.2.1.1 back-off)");
    hnb_metrics_add(m, "retry_wait_lo", "x", hs->retries ? hs->retry_ratio_min : NAN,
                    "shortest retry wait / its window's lower bound m (k/1000)^(n-1) (TR-069: >= 1)");
    hnb_metrics_add(m, "retry_wait_hi", "x", hs->retries ? hs->retry_ratio_max : NAN,
                    "longest retry wait / its window's lower bound (TR-069: <= k/1000)");
    hnb_metrics_add(m, "events", "events", (double)hnb_sim_events_run(f->sim), "kernel events run");
}

/* The time-to-recover distribution of the AFFECTED HNBs as 201 points (value, fraction) read off the tally's
 * histogram.  HNBs still down at the end have no time yet: the curve ends at recovered/affected, not at 1, so a
 * layout that leaves most HNBs to the field does not look complete. */
static HnbSeries *recovery_cdf(const Fleet *f)
{
    static const char *const cols[] = {"recover_h", "fraction"};
    static const char *const units[] = {"h", ""};
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbTally *t = &hs->recover_h;
    HnbSeries *s = hnb_series_new(2, cols, units);
    double share = hs->affected ? (double)t->n / (double)hs->affected : 0;
    for (int k = 0; t->n > 0 && k <= 200; k++) {
        double row[2] = {hnb_tally_quantile(t, k / 200.0), k / 200.0 * share};
        hnb_series_add_row(s, row);
    }
    return s;
}

static HnbSeries *new_series(void)
{
    static const char *const cols[] = {"time_h",     "in_service", "compromised",   "booting",       "golden",
                                       "downloading", "installing", "bricked",      "sessions_per_s", "refused_per_s",
                                       "open_sessions", "acs_busy", "download_gbps", "unmanaged_tls",
                                       "unmanaged_not_yet_valid", "unmanaged_expired", "unmanaged_other"};
    static const char *const units[] = {"h", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs",
                                        "sessions/s", "sessions/s", "sessions", "workers", "Gbit/s",
                                        "HNBs", "HNBs", "HNBs", "HNBs"};
    return hnb_series_new(G_N_ELEMENTS(cols), cols, units);
}

/* The crypto first (it can fail: PKI, configuration, signing), then the parts in the order that fixes the first
 * events: the field, the sampler's kind, the HNBs' initial events, the ACS, the attack. */
static gboolean parts_new(Fleet *f, const HnbScenario *sc, guint rep, GError **error)
{
    const FleetParams *p = f->p;
    f->tls = hnb_acs_tls_new(sc, &p->tls, error);
    if (!f->tls)
        return FALSE;
    f->boot = hnb_secure_boot_new(hnb_acs_tls_pool(f->tls), hnb_acs_tls_pki(f->tls), (uint64_t)p->images.image_bytes,
                                  error);
    if (!f->boot)
        return FALSE;
    g_autoptr(GString) ignored = g_string_new(NULL);
    if (!hnb_tls_check(sc, ignored, &f->tls_compliant, error))
        return FALSE;
    f->hnbs = hnb_population_new(f->sim, &p->hnb, p->seed, rep, p->duration);
    f->images = hnb_image_server_new(f->sim, &p->images, hnb_population_download_done, f->hnbs);
    f->field = hnb_field_new(f->sim, &p->field, hnb_stream(p->seed, rep, "field"), hnb_population_repaired, f->hnbs);
    f->k_sample = hnb_sim_register(f->sim, "fleet.sample", on_sample, f);
    f->acs = hnb_acs_new(f->sim, &p->acs, f->tls, hnb_stream(p->seed, rep, "acs.service"),
                         &hnb_population_acs_client, f->hnbs);
    hnb_population_start(f->hnbs, &(HnbPopulationParts){.acs = f->acs, .tls = f->tls, .boot = f->boot,
                                                         .images = f->images, .field = f->field});
    f->attack = hnb_attack_new(f->sim, &p->attack, p->hnb.n, p->duration, hnb_stream(p->seed, rep, "attack.pick"),
                               &hnb_population_attack_target, f->hnbs);
    return TRUE;
}

/* Mirrors parts_new: the ACS abandons its handshakes before the TLS part frees the pool, which runs the image checks
 * still queued before secure boot frees them. */
static void parts_free(Fleet *f)
{
    hnb_attack_free(f->attack);
    hnb_acs_free(f->acs);
    hnb_field_free(f->field);
    hnb_image_server_free(f->images);
    hnb_population_free(f->hnbs);
    hnb_acs_tls_free(f->tls);
    hnb_secure_boot_free(f->boot);
}

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    FleetParams p;
    fleet_params(&p, sc, progress);
    Fleet f = {.p = &p, .sim = hnb_sim_new(), .series = new_series()};
    gboolean ok = parts_new(&f, sc, rep, error);
    if (ok) {
        if (p.sample <= p.duration)
            hnb_sim_schedule(f.sim, p.sample, f.k_sample, 0, 0);
        hnb_model_run_kernel(f.sim, p.duration, progress);
        ok = hnb_acs_tls_error(f.tls, error);
    }
    if (ok) {
        hnb_population_censor(f.hnbs, p.duration);
        metrics(&f, out);
        *series = g_steal_pointer(&f.series);
        *cdf = recovery_cdf(&f);
    }
    parts_free(&f);
    if (f.series)
        hnb_series_free(f.series);
    hnb_sim_free(f.sim);
    return ok;
}

static const HnbKeySpec schema[] = {
    {"fleet", "size", HNB_KEY_INT, 0, "10000", "1", "16000000", NULL, "number of HNBs"},
    {"hnb", "layout", HNB_KEY_ENUM, 0, "golden", NULL, NULL, "single|golden|ab|ab+golden",
     "software images: one release image; + read-only golden module; two writable banks (A/B); A/B + golden"},
    {"hnb", "boot_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(60s,120s)", NULL, NULL, NULL,
     "from power-on to the end of secure boot"},
    {"hnb", "install_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(30s,90s)", NULL, NULL, NULL,
     "verifying and writing a downloaded image"},
    {"hnb", "image_verify_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "0s", NULL, NULL, NULL,
     "CPU time of one image signature check, added to every boot and install (0: counted in boot_time and "
     "install_time); [acs] calibration sets it"},
    {"power", "mtbf", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "36500d", NULL,
     "mean time between power failures of one HNB (exponential); 0: none"},
    {"power", "outage", HNB_KEY_DIST, HNB_UNIT_DURATION, "lognormal(10m,1)", NULL, NULL, NULL,
     "how long the power stays off; the HNB's clock then lags by as much (and more, see clock_save_interval) until "
     "a session corrects it"},
    {"power", "clock_save_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "3650d", NULL,
     "the HNB saves its clock this often (each at its own phase) and restarts from the last save after a power "
     "loss (TS 33.320 6.3.1); 0s: saved at the failure itself"},
    {"power", "clock_drift", HNB_KEY_NUMBER, HNB_UNIT_NONE, "0", "0", "100000", NULL,
     "each HNB's clock gains or loses up to this many ppm (uniform per HNB) from its last correction"},
    {"power", "ntp", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "after power returns, NTP corrects the clock ([power] ntp_delay later); false: only a CWMP session does"},
    {"power", "ntp_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(10s,2m)", NULL, NULL, NULL,
     "from power restoration to the NTP correction"},
    {"power", "region_at", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "3650d", NULL,
     "a regional power outage at this time (0s: none)"},
    {"power", "region_fraction", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "0.5", NULL, NULL, NULL,
     "share of the fleet in the region"},
    {"power", "region_outage", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(30m,3h)", NULL, NULL, NULL,
     "how long the regional outage lasts at each HNB"},
    {"golden", "tls", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "the golden module reaches the H(e)MS over TLS (per the profile); false: plain HTTP, integrity from the image "
     "signature only"},
    {"cwmp", "periodic_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "1m", "30d", NULL,
     "PeriodicInformInterval (each HNB at its own random PeriodicInformTime phase)"},
    {"cwmp", "boot_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "0s", NULL, NULL, NULL,
     "wait before the boot Inform (some CPEs wait a random 0-N s to spare the ACS after a power failure)"},
    {"cwmp", "retry_min_wait", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "5s", "1s", "65535s", NULL,
     "CWMPRetryMinimumWaitInterval (TR-069 3.2.1.1)"},
    {"cwmp", "retry_multiplier", HNB_KEY_INT, 0, "2000", "1000", "65535", NULL,
     "CWMPRetryIntervalMultiplier, in thousandths (TR-069 3.2.1.1)"},
    {"acs", "workers", HNB_KEY_INT, 0, "16", "1", "100000", NULL, "H(e)MS CPU workers (TLS handshakes and CWMP)"},
    {"acs", "max_sessions", HNB_KEY_INT, 0, "2000", "1", "10000000", NULL,
     "sessions open at once; more are refused at connect"},
    {"acs", "queue_limit", HNB_KEY_INT, 0, "0", "0", "10000000", NULL,
     "sessions waiting for a worker; more are refused (0: only max_sessions limits)"},
    {"acs", "handshake_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "1200us", NULL, NULL, NULL,
     "worker CPU time of a full TLS handshake (hnbsim calibrate measures it)"},
    {"acs", "resumed_handshake_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "150us", NULL, NULL, NULL,
     "worker CPU time of a resumed handshake"},
    {"acs", "calibration", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "a file from `hnbsim calibrate -o FILE` (relative to the scenario file): its measured times for the [pki] key "
     "types replace the defaults of handshake_time, resumed_handshake_time and [hnb] image_verify_time; keys the "
     "scenario sets itself win; scenario.resolved.ini records the values, not the file"},
    {"acs", "cwmp_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "exp(4ms)", NULL, NULL, NULL,
     "worker CPU time per CWMP round trip"},
    {"acs", "rtt", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(20ms,80ms)", NULL, NULL, NULL,
     "network time per CWMP round trip (holds the session, not a worker)"},
    {"download", "bandwidth", HNB_KEY_NUMBER, HNB_UNIT_BITRATE, "10Gbps", "1kbps", "100Tbps", NULL,
     "image server bandwidth shared fairly by concurrent downloads"},
    {"download", "image_size", HNB_KEY_NUMBER, HNB_UNIT_SIZE, "50MB", "1kB", "100GB", NULL, "release image size"},
    {"download", "access_link", HNB_KEY_DIST, HNB_UNIT_BITRATE, "lognormal(20Mbps,0.7)", NULL, NULL, NULL,
     "each HNB's access link, which caps its download"},
    {"download", "timeout", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "2h", "1s", "30d", NULL,
     "a download not done by then fails and is retried per the retry policy"},
    {"tls", "fidelity", HNB_KEY_STRING, 0, "full", NULL, NULL, NULL,
     "full: every TLS session is a real OpenSSL handshake; sampled:N: one in N is, the rest reuse its outcome"},
    {"attack", "mode", HNB_KEY_ENUM, 0, "instant", NULL, NULL, "none|instant|epidemic",
     "how the mass rewrite spreads"},
    {"attack", "start", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1h", "0s", "3650d", NULL, "when the attack begins"},
    {"attack", "fraction", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "0.3", NULL, NULL, NULL,
     "share of the fleet the OS hole exposes"},
    {"attack", "spread_rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "1/min", "0/s", NULL, NULL,
     "epidemic: beta, rewrites per rewritten HNB per unit time while all are susceptible"},
    {"attack", "banks", HNB_KEY_ENUM, 0, "all", NULL, NULL, "all|active",
     "which writable images the attacker rewrites (ab layouts: both banks, or only the active one)"},
    {"attack", "reboot_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(0s,60s)", NULL, NULL, NULL,
     "from the rewrite to the reboot (small: the attacker reboots; large: the next reboot)"},
    {"cost", "truck_roll", HNB_KEY_NUMBER, HNB_UNIT_NONE, "150", "0", NULL, NULL, "cost of one truck roll"},
    {"cost", "ship_back", HNB_KEY_NUMBER, HNB_UNIT_NONE, "60", "0", NULL, NULL, "cost of one ship-back"},
    {"cost", "subscriber_hour", HNB_KEY_NUMBER, HNB_UNIT_NONE, "0.5", "0", NULL, NULL,
     "cost of one HNB-hour out of service"},
    HNB_KEY_END,
};

static const HnbFigure figures[] = {
    {"fleet", "Fleet state after the mass rewrite", "HNBs", "in_service compromised golden downloading bricked"},
    {"hems-load", "H(e)MS load: sessions opened and refused", "sessions/s", "sessions_per_s refused_per_s"},
    {"hems-concurrency", "H(e)MS sessions open and workers busy", "sessions", "open_sessions acs_busy"},
    {"download", "Image server throughput", "Gbit/s", "download_gbps"},
    {"unmanaged", "Out of management: latest TLS handshake failed, by reason", "HNBs",
     "unmanaged_not_yet_valid unmanaged_expired unmanaged_other"},
};

static const HnbCompareFigure compare_figures[] = {
    {"in-service", "HNBs in service", "time (h)", "HNBs", HNB_COMPARE_SERIES, "in_service"},
    {"hems-sessions", "H(e)MS load: sessions opened", "time (h)", "sessions/s", HNB_COMPARE_SERIES, "sessions_per_s"},
    {"hems-refused", "H(e)MS overload: sessions refused", "time (h)", "sessions/s", HNB_COMPARE_SERIES,
     "refused_per_s"},
    {"unmanaged", "Out of management: latest TLS handshake failed", "time (h)", "HNBs", HNB_COMPARE_SERIES,
     "unmanaged_tls"},
    {"recovery-cdf", "Time to recover, affected HNBs", "time to recover (h)", "fraction of affected HNBs",
     HNB_COMPARE_CDF, NULL},
    {"cost", "Operator cost: field visits and subscriber downtime", NULL, "cost", HNB_COMPARE_BAR, "total_cost"},
};

/* The findings paragraph (results.h, HnbFinding): per layout, who lost service, who came back and when (Kaplan-Meier,
 * so the HNBs still down count), at what cost, and the limits met on the way.  A metric added later gets one line
 * here; runs that lack it skip it. */
static const HnbFinding findings[] = {
    {"affected", "{} lost service", "HNBs", 0},
    {"recovered", "; {} back in service by the end", NULL, 0},
    {"censored", ", {} still down", NULL, 0},
    {"recover_km_p50", "; time to recover: median {}", "h", 0},
    {"recover_km_p95", ", 95th percentile {}", "h", 0},
    {"total_cost", "; cost {}", NULL, 0},
    {"acs_utilisation", "; H(e)MS workers busy {} of the run", "%", 100},
    {"sessions_refused", ", {} sessions refused", NULL, 0},
    {"truck_rolls", "; field: {} truck rolls", NULL, 0},
    {"ship_backs", ", {} ship-backs", NULL, 0},
    {"field_waiting", ", {} jobs not started by the end", NULL, 0},
    {NULL, "Times to recover are Kaplan-Meier estimates over the affected HNBs, those still down at the end counted "
           "as not yet recovered (\"beyond the horizon\": fewer had recovered when the run ended); cost is field "
           "visits and subscriber downtime at the [cost] prices.", NULL, 0},
};

/* The attack's episode for the time-series figures' lower panel: from a margin before [attack] start to the last
 * recovery of the replications where every affected HNB recovered (makespan), or to attack + 6 h when in none did
 * (the field's days would stretch the panel back to the whole run), plus a margin of a tenth of that span (at least
 * 5 minutes) on each side.  No panel without an attack or when the episode is most of the run. */
static gboolean episode(const HnbScenario *sc, HnbMetrics *const *reps, guint nreps, HnbZoom *zoom)
{
    if (strcmp(hnb_scenario_string(sc, "attack", "mode"), "none") == 0)
        return FALSE;
    double start = hnb_time_to_sec(hnb_scenario_time(sc, "attack", "start")) / 3600.0;
    double duration = hnb_time_to_sec(hnb_scenario_time(sc, "scenario", "duration")) / 3600.0;
    double last = NAN;
    for (guint r = 0; r < nreps; r++) {
        double makespan = hnb_metrics_value(reps[r], "makespan");
        if (hnb_metrics_value(reps[r], "censored") == 0 && isfinite(makespan))
            last = isnan(last) ? makespan : fmax(last, makespan);
    }
    double span = isnan(last) ? 6 : last;
    double margin = fmax(5 / 60.0, span / 10);
    zoom->from = fmax(0, start - margin);
    zoom->to = fmin(duration, start + span + margin);
    zoom->unit = "h";
    g_snprintf(zoom->why, sizeof zoom->why,
               "from before [attack] start = %s to the last recovery where every affected HNB recovered "
               "(attack + 6 h where none did), with a 10%% margin",
               hnb_scenario_text(sc, "attack", "start"));
    return zoom->to - zoom->from < duration / 2;
}

/* What every figure's caption states (results.h, hnb_results_caption); a key a scenario lacks drops its clause. */
static const char *const caption[] = {
    "{fleet.size} HNBs",
    "layout {hnb.layout}",
    "golden module over TLS: {golden.tls}",
    "{attack.fraction} of the fleet rewritten at {attack.start} ({attack.mode})",
    "H(e)MS {acs.workers} workers, {acs.max_sessions} sessions",
    "image server {download.bandwidth}",
    "TLS fidelity {tls.fidelity}",
    "costs per truck roll {cost.truck_roll}, ship-back {cost.ship_back}, subscriber-hour {cost.subscriber_hour}",
    NULL,
};

static const HnbKeySpec *const shared_schemas[] = {hnb_field_schema, hnb_tls_schema, hnb_pki_schema, NULL};

const HnbModel hnb_model_fleet = {
    .name = "fleet",
    .doc = "HNB fleet under a mass software-rewrite attack: recovery over TR-069 with real TLS, field visits, cost",
    .schema = schema,
    .more_schemas = shared_schemas,
    .figures = figures,
    .nfigures = G_N_ELEMENTS(figures),
    .run = run,
    .validate = validate,
    .resolve = hnb_calibration_apply,
    .compare_figures = compare_figures,
    .ncompare_figures = G_N_ELEMENTS(compare_figures),
    .findings = findings,
    .nfindings = G_N_ELEMENTS(findings),
    .caption = caption,
    .episode = episode,
};
