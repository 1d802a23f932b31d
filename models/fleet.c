/* models/fleet.c — the fleet model: the mass DoS rewrite study (the seed's first doubt) as one scenario.
 *
 * Wires the HNBs (hnb.c), the H(e)MS/ACS (acs.c) with real TLS handshakes (acs_tls.c), the image server
 * (download.c), the attacker (attack.c) and the field force (field.c) onto one kernel, samples the fleet's state and
 * the H(e)MS load, and reports recovery times, load, handshakes by outcome, field visits and cost.
 */
#include "models/acs_tls.h"
#include "models/calibration.h"
#include "models/fleet.h"

#include <math.h>
#include <string.h>

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    double secs = hnb_time_to_sec(f->sample);
    double bytes = hnb_downloads_bytes_delivered(f->dl, ev->time);
    uint64_t in_service = f->count[HNB_S_RUNNING];
    double row[] = {
        hnb_time_to_sec(ev->time) / 3600.0,
        (double)in_service,
        (double)f->compromised_now,
        (double)f->count[HNB_S_BOOTING],
        (double)f->count[HNB_S_GOLDEN],
        (double)f->count[HNB_S_DOWNLOADING],
        (double)f->count[HNB_S_INSTALLING],
        (double)f->count[HNB_S_BRICKED],
        (double)f->acs.since_sample_sessions / secs,
        (double)f->acs.since_sample_refused / secs,
        (double)f->acs.open,
        (double)f->acs.busy,
        (bytes - f->dl_bytes_at_sample) * 8 / secs / 1e9,
        (double)(f->n - f->unmanaged[HNB_HS_OK]),
        (double)f->unmanaged[HNB_TLS_NOT_YET_VALID],
        (double)f->unmanaged[HNB_TLS_EXPIRED],
        (double)(f->n - f->unmanaged[HNB_HS_OK] - f->unmanaged[HNB_TLS_NOT_YET_VALID] - f->unmanaged[HNB_TLS_EXPIRED]),
    };
    hnb_series_add_row(f->series, row);
    f->acs.since_sample_sessions = f->acs.since_sample_refused = 0;
    f->dl_bytes_at_sample = bytes;
    if (ev->time + f->sample <= f->duration)
        hnb_sim_schedule(sim, ev->time + f->sample, f->k_sample, 0, 0);
}

/* "full" -> 1, "sampled:N" -> N; 0 when malformed. */
static unsigned parse_fidelity(const char *text)
{
    if (strcmp(text, "full") == 0)
        return 1;
    if (g_str_has_prefix(text, "sampled:")) {
        char *end;
        guint64 n = g_ascii_strtoull(text + 8, &end, 10);
        if (*end == '\0' && end != text + 8 && n >= 1 && n <= 1000000000)
            return (unsigned)n;
    }
    return 0;
}

static gboolean validate(const HnbScenario *sc, GError **error)
{
    const char *fid = hnb_scenario_string(sc, "tls", "fidelity");
    if (parse_fidelity(fid) == 0) {
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

static void metrics(Fleet *f, HnbMetrics *m)
{
    HnbFieldStats fs = {0};
    if (f->field)
        hnb_field_stats(f->field, &fs);
    double lost_h = f->down_ns_total;
    for (uint32_t i = 0; i < f->n; i++) /* still down at the end */
        if (f->hnb[i].down_since >= 0)
            lost_h += (double)(f->duration - f->hnb[i].down_since);
    lost_h /= 3600e9;
    double sub_cost = lost_h * hnb_scenario_number(f->sc, "cost", "subscriber_hour");
    hnb_metrics_add(m, "hnbs", "HNBs", f->n, "fleet size");
    hnb_metrics_add(m, "attacked", "HNBs", (double)f->attacked, "HNBs whose writable images the attacker rewrote");
    hnb_metrics_add(m, "affected", "HNBs", (double)f->affected, "rewritten HNBs that rebooted and lost service");
    hnb_metrics_add(m, "recovered", "HNBs", (double)f->recovered, "affected HNBs back in service by the end");
    hnb_metrics_add(m, "unrecovered", "HNBs", (double)(f->affected - f->recovered),
                    "affected HNBs still out of service at the end");
    hnb_metrics_add(m, "bricked", "HNBs", (double)f->bricked_total, "boots that found no bootable image (need the field)");
    hnb_metrics_add(m, "recover_mean", "h", f->recover_h.n ? f->recover_h.mean : NAN, "mean time to recover");
    hnb_metrics_add(m, "recover_p50", "h", hnb_tally_quantile(&f->recover_h, 0.5), "median time to recover");
    hnb_metrics_add(m, "recover_p95", "h", hnb_tally_quantile(&f->recover_h, 0.95), "95th percentile time to recover");
    hnb_metrics_add(m, "recover_p99", "h", hnb_tally_quantile(&f->recover_h, 0.99), "99th percentile time to recover");
    hnb_metrics_add(m, "recover_max", "h", f->recover_h.n ? f->recover_h.max : NAN, "longest time to recover");
    hnb_metrics_add(m, "makespan", "h",
                    f->recovered ? hnb_time_to_sec(f->last_recovery - f->attack_start) / 3600.0 : NAN,
                    "from the attack to the last recovery");
    hnb_metrics_add(m, "subscriber_hours_lost", "h", lost_h, "HNB-hours out of service");
    hnb_metrics_add(m, "truck_rolls", "visits", (double)fs.truck_rolls, "technician visits started");
    hnb_metrics_add(m, "ship_backs", "units", (double)fs.ship_backs, "units shipped back to a depot");
    hnb_metrics_add(m, "field_waiting", "HNBs", (double)fs.waiting, "field jobs not started by the end");
    hnb_metrics_add(m, "field_cost", "cost", fs.cost, "truck rolls and ship-backs");
    hnb_metrics_add(m, "downtime_cost", "cost", sub_cost, "subscriber-hours lost x [cost] subscriber_hour");
    hnb_metrics_add(m, "total_cost", "cost", fs.cost + sub_cost, "field + downtime");
    hnb_metrics_add(m, "sessions", "sessions", (double)f->acs.sessions, "CWMP sessions the HNBs opened");
    hnb_metrics_add(m, "sessions_completed", "sessions", (double)f->acs.completed, "sessions that ended well");
    hnb_metrics_add(m, "sessions_refused", "sessions", (double)f->acs.refused, "refused at admission (overload)");
    hnb_metrics_add(m, "sessions_failed", "sessions", (double)f->acs.failed, "admitted but failed (TLS)");
    hnb_metrics_add(m, "sessions_open", "sessions", (double)f->acs.open, "still open at the end");
    hnb_metrics_add(m, "refused_fraction", "", f->acs.sessions ? (double)f->acs.refused / (double)f->acs.sessions : 0,
                    "refused / opened");
    hnb_metrics_add(m, "handshakes", "handshakes", (double)f->acs.handshakes, "TLS handshakes");
    hnb_metrics_add(m, "handshakes_real", "handshakes", (double)f->acs.real_handshakes,
                    "of which real OpenSSL handshakes (the rest sampled, [tls] fidelity)");
    hnb_metrics_add(m, "handshakes_resumed", "handshakes", (double)f->acs.resumed, "abbreviated (resumed) handshakes");
    for (int k = 0; k < HNB_HS_COUNT; k++) {
        char name[48];
        g_snprintf(name, sizeof name, "hs_%s", hnb_tls_reason_name((HnbTlsReason)k));
        hnb_metrics_add(m, name, "handshakes", (double)f->acs.hs[k], "handshakes with this outcome");
    }
    hnb_metrics_add(m, "downloads_started", "downloads", (double)f->dl_started, "image downloads started");
    hnb_metrics_add(m, "downloads_completed", "downloads", (double)f->dl_completed, "completed");
    hnb_metrics_add(m, "downloads_failed", "downloads", (double)f->dl_failed, "timed out or cut by a reboot");
    hnb_metrics_add(m, "downloads_running", "downloads", (double)hnb_downloads_active(f->dl), "still running at the end");
    hnb_metrics_add(m, "acs_utilisation", "", hnb_gauge_mean(&f->acs.busy_gauge, f->duration) / (double)f->workers,
                    "time-average busy workers / workers");
    hnb_metrics_add(m, "acs_open_max", "sessions", (double)f->acs.open_max, "most sessions open at once");
    hnb_metrics_add(m, "download_peak", "Gbit/s", f->dl_peak_bps / 1e9, "highest aggregate download rate");
    hnb_metrics_add(m, "tls_profile_compliant", "", f->tls_compliant ? 1 : 0,
                    "1 if the [tls] group meets TS 33.320 clause 8.3.4, 0 if profile = custom departs from it");
    hnb_metrics_add(m, "image_checks", "checks", (double)f->image_checks,
                    "signature checks of images (secure boot, downloads): real EVP verifications");
    hnb_metrics_add(m, "image_rejected", "checks", (double)f->image_rejected,
                    "checks that failed: rewritten images found by secure boot");
    hnb_metrics_add(m, "power_failures", "failures", (double)f->power_failures, "power failures of any HNB");
    hnb_metrics_add(m, "retries", "retries", (double)f->retries, "session retries (TR-069 3.2.1.1 back-off)");
    hnb_metrics_add(m, "retry_wait_lo", "x", f->retries ? f->retry_ratio_min : NAN,
                    "shortest retry wait / its window's lower bound m (k/1000)^(n-1) (TR-069: >= 1)");
    hnb_metrics_add(m, "retry_wait_hi", "x", f->retries ? f->retry_ratio_max : NAN,
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
    const HnbTally *t = &f->recover_h;
    HnbSeries *s = hnb_series_new(2, cols, units);
    double share = f->affected ? (double)t->n / (double)f->affected : 0;
    for (int k = 0; t->n > 0 && k <= 200; k++) {
        double row[2] = {hnb_tally_quantile(t, k / 200.0), k / 200.0 * share};
        hnb_series_add_row(s, row);
    }
    return s;
}

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    static const char *const cols[] = {"time_h",     "in_service", "compromised",   "booting",       "golden",
                                       "downloading", "installing", "bricked",      "sessions_per_s", "refused_per_s",
                                       "open_sessions", "acs_busy", "download_gbps", "unmanaged_tls",
                                       "unmanaged_not_yet_valid", "unmanaged_expired", "unmanaged_other"};
    static const char *const units[] = {"h", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs",
                                        "sessions/s", "sessions/s", "sessions", "workers", "Gbit/s",
                                        "HNBs", "HNBs", "HNBs", "HNBs"};
    uint64_t seed = (uint64_t)hnb_scenario_int(sc, "scenario", "seed");
    const char *mode = hnb_scenario_string(sc, "attack", "mode");
    Fleet *f = g_new0(Fleet, 1);
    *f = (Fleet){
        .sc = sc, .rep = rep, .seed = seed, .progress = progress,
        .duration = hnb_scenario_time(sc, "scenario", "duration"),
        .sample = hnb_model_sample_interval(sc),
        .n = (uint32_t)hnb_scenario_int(sc, "fleet", "size"),
        .layout = layout_of(hnb_scenario_string(sc, "hnb", "layout")),
        .golden_tls = hnb_scenario_bool(sc, "golden", "tls"),
        .inform_interval = hnb_scenario_time(sc, "cwmp", "periodic_interval"),
        .boot_time = hnb_scenario_dist(sc, "hnb", "boot_time"),
        .boot_delay = hnb_scenario_dist(sc, "cwmp", "boot_delay"),
        .install_time = hnb_scenario_dist(sc, "hnb", "install_time"),
        .image_verify = hnb_dist_mean(hnb_scenario_dist(sc, "hnb", "image_verify_time")) > 0
                            ? hnb_scenario_dist(sc, "hnb", "image_verify_time")
                            : NULL,
        .power_mtbf = hnb_scenario_time(sc, "power", "mtbf"),
        .power_outage = hnb_scenario_dist(sc, "power", "outage"),
        .clock_save = hnb_scenario_time(sc, "power", "clock_save_interval"),
        .clock_drift = hnb_scenario_number(sc, "power", "clock_drift") * 1e-6,
        .ntp = hnb_scenario_bool(sc, "power", "ntp"),
        .ntp_delay = hnb_scenario_dist(sc, "power", "ntp_delay"),
        .region_at = hnb_scenario_time(sc, "power", "region_at"),
        .region_fraction = hnb_scenario_number(sc, "power", "region_fraction"),
        .region_outage = hnb_scenario_dist(sc, "power", "region_outage"),
        .retry = {hnb_scenario_time(sc, "cwmp", "retry_min_wait"),
                  (unsigned)hnb_scenario_int(sc, "cwmp", "retry_multiplier")},
        .workers = hnb_scenario_int(sc, "acs", "workers"),
        .max_sessions = hnb_scenario_int(sc, "acs", "max_sessions"),
        .queue_limit = hnb_scenario_int(sc, "acs", "queue_limit"),
        .hs_full = hnb_scenario_dist(sc, "acs", "handshake_time"),
        .hs_resumed = hnb_scenario_dist(sc, "acs", "resumed_handshake_time"),
        .cwmp_cpu = hnb_scenario_dist(sc, "acs", "cwmp_time"),
        .rtt = hnb_scenario_dist(sc, "acs", "rtt"),
        .image_bytes = hnb_scenario_number(sc, "download", "image_size"),
        .bandwidth = hnb_scenario_number(sc, "download", "bandwidth"),
        .access_link = hnb_scenario_dist(sc, "download", "access_link"),
        .dl_timeout = hnb_scenario_time(sc, "download", "timeout"),
        .fidelity = parse_fidelity(hnb_scenario_string(sc, "tls", "fidelity")),
        .attack_mode = strcmp(mode, "none") == 0 ? 0 : strcmp(mode, "instant") == 0 ? 1 : 2,
        .attack_start = hnb_scenario_time(sc, "attack", "start"),
        .attack_fraction = hnb_scenario_number(sc, "attack", "fraction"),
        .spread_rate = hnb_scenario_number(sc, "attack", "spread_rate"),
        .attack_all_banks = strcmp(hnb_scenario_string(sc, "attack", "banks"), "all") == 0,
        .attack_reboot_delay = hnb_scenario_dist(sc, "attack", "reboot_delay"),
        .s_phase = hnb_stream(seed, rep, "hnb.phase"),
        .s_boot = hnb_stream(seed, rep, "hnb.boot"),
        .s_retry = hnb_stream(seed, rep, "cwmp.retry"),
        .s_link = hnb_stream(seed, rep, "download.link"),
        .s_acs = hnb_stream(seed, rep, "acs.service"),
        .s_attack = hnb_stream(seed, rep, "attack.pick"),
        .s_power = hnb_stream(seed, rep, "power"),
        .s_region = hnb_stream(seed, rep, "power.region"),
        .s_ntp = hnb_stream(seed, rep, "hnb.ntp"),
    };
    f->resumption = hnb_acs_tls_resumption(sc);
    f->sim = hnb_sim_new();
    f->hnb = g_new(Hnb, f->n);
    f->dl = hnb_downloads_new(f->bandwidth);
    f->series = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
    hnb_tally_init(&f->recover_h);
    gboolean ok = hnb_acs_tls_init(f, error);
    if (ok) {
        g_autoptr(GString) ignored = g_string_new(NULL);
        ok = hnb_tls_check(sc, ignored, &f->tls_compliant, error);
    }
    if (ok) {
        HnbFieldParams fp;
        hnb_field_params_from_scenario(&fp, sc, NULL); /* validated at load */
        f->field = hnb_field_new(f->sim, &fp, hnb_stream(seed, rep, "field"), hnb_fleet_field_repaired, f);
        f->k_sample = hnb_sim_register(f->sim, "fleet.sample", on_sample, f);
        hnb_fleet_hnb_setup(f);
        hnb_fleet_acs_setup(f);
        hnb_fleet_attack_setup(f);
        if (f->sample <= f->duration)
            hnb_sim_schedule(f->sim, f->sample, f->k_sample, 0, 0);
        hnb_model_run_kernel(f->sim, f->duration, progress);
        ok = hnb_acs_tls_error(f, error);
        if (ok) {
            metrics(f, out);
            *series = g_steal_pointer(&f->series);
            *cdf = recovery_cdf(f);
        }
    }
    hnb_fleet_acs_free(f);
    hnb_acs_tls_free(f);
    if (f->field)
        hnb_field_free(f->field);
    if (f->series)
        hnb_series_free(f->series);
    hnb_tally_clear(&f->recover_h);
    hnb_downloads_free(f->dl);
    hnb_sim_free(f->sim);
    g_free(f->hnb);
    g_free(f);
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
};
