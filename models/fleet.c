/* models/fleet.c — the fleet model: the mass DoS rewrite study (the seed's first doubt) as one scenario.
 *
 * Wires the parts of fleet.h onto one kernel — the HNBs (hnb.c), the H(e)MS/ACS (acs.c) with real TLS handshakes
 * (acs_tls.c), secure boot (secure_boot.c), the image server (image_server.c over download.c), the field force
 * (field.c), the attacker (attack.c) and, with [hems] reach = segw, the SeGW (segw.c, segw_ike.c) — samples the
 * fleet's state and the H(e)MS load, and reports recovery times,
 * load, handshakes by outcome, field visits and cost.
 *
 * The time series: a check every [series] fine_interval (1 min) and every [scenario] sample_interval; a row at every
 * coarse point, and at a fine one while the fleet changes fast (on_sample), at most FINE_ROWS_MAX fine rows; a rate
 * in a row is over the time since the previous row.  Peaks come from an exact window the ACS feeds (sim/window.h),
 * never from the rows.
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
#include "models/fix.h"
#include "models/fleet_run.h"
#include "models/hnb.h"
#include "models/image_server.h"
#include "models/model.h"
#include "models/paths.h"
#include "models/secure_boot.h"
#include "models/segw.h"
#include "models/segw_ike.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The peaks' window (sim/window.h): sessions opened and refused in any (t - 1 min, t].  A window's refused fraction
 * counts only when it opened at least PEAK_MIN_SESSIONS sessions (0.33/s): below that a single refusal would read as
 * 100% — the noise of a quiet minute, not overload. */
#define PEAK_WINDOW HNB_MIN
#define PEAK_MIN_SESSIONS 20

/* The time series' columns (new_series): the first SERIES_BASE in every run, SERIES_COLUMNS with a SeGW; then, with
 * [series] latency = true, SERIES_LATENCY more. */
#define SERIES_BASE 17
#define SERIES_COLUMNS 28
#define SERIES_LATENCY 4

/* Everything read from the scenario: const during the run. */
typedef struct {
    uint64_t seed;
    HnbTime duration, sample; /* the coarse grid: [scenario] sample_interval */
    HnbTime fine;             /* [series] fine_interval, 0 when off (or not finer than sample) */
    gboolean latency_series;  /* [series] latency */
    HnbPopulationParams hnb;
    HnbAcsParams acs;
    HnbAcsTlsParams tls;
    HnbImageServerParams images;
    HnbFieldParams field;
    HnbAttackParams attack;
    HnbFixParams fix;
    gboolean segw;          /* [hems] reach = segw */
    HnbSegwParams segw_p;
    HnbSegwIkeParams ike;
    double subscriber_hour; /* [cost] */
    double stack_module_year;
} FleetParams;

/* At most this many rows of a replication's time series come from fine checks (the coarse grid comes on top): two
 * weeks of minutes, so an episode that never settles cannot blow the output up. */
#define FINE_ROWS_MAX 20160

/* What the recovery window's averages need at one instant: cumulative counters and the busy workers' area. */
typedef struct {
    HnbTime t;
    uint64_t sessions, refused;
    double busy_area; /* worker x ns since 0 */
    double segw_busy_area; /* the SeGW's (0 without one) */
} Snapshot;

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
    HnbHems hems; /* the ACS, its TLS and the image server as the HNBs and the results see them */
    HnbAttack *attack;
    HnbFix *fix;
    HnbSegw *segw;     /* NULL with [hems] reach = internet */
    HnbSegwIke *ike;
    gboolean tls_compliant;
    HnbWindow sessions_win; /* the ACS's (opened, refused), for the peaks */
    /* sampler: a check at every fine and every coarse grid point; a row at every coarse point, and at a fine point
     * while the fleet changes fast (see check) */
    uint32_t k_sample, k_attack;
    HnbSeries *series;
    uint64_t sessions_at_row, refused_at_row;
    uint64_t segw_setups_at_row, segw_refused_at_row, segw_dropped_at_row; /* the SeGW's counters (0 without one) */
    double bytes_at_row;
    HnbTime row_at;               /* time of the latest row */
    guint fine_rows;
    uint64_t count_at_check[HNB_S_COUNT], compromised_at_check, refused_at_check, recovered_at_check;
    gboolean fast_at_check;       /* the latest check found the fleet changing fast */
    /* the recovery window: at the attack, and at the first check after each recovery (the last one wins) */
    Snapshot at_attack, at_recovery;
    gboolean attack_seen, recovery_seen;
    /* remote recoveries (not by the field) counted at the last check an hour or more before the end, or at the last
     * one before the attack if that is later: the pace the cost to completion assumes for the HNBs still recovering
     * remotely */
    uint64_t remote_base;
    HnbTime remote_base_t;
} Fleet;

/* Affected HNBs back in service without the field (download, install, the other bank). */
static uint64_t remote_recoveries(const Fleet *f)
{
    HnbFieldStats fs = {0};
    if (f->field)
        hnb_field_stats(f->field, &fs);
    uint64_t rec = hnb_population_stats(f->hnbs)->recovered;
    return rec > fs.done ? rec - fs.done : 0;
}

static double area_at(const HnbGauge *g, HnbTime t)
{
    return g->area + g->level * (double)(t - g->last);
}

static Snapshot snapshot(const Fleet *f, HnbTime t)
{
    const HnbAcsStats *as = hnb_hems_acs_stats(&f->hems);
    return (Snapshot){t, as->sessions, as->refused, area_at(&as->busy_gauge, t),
                      f->segw ? area_at(&hnb_segw_stats(f->segw)->busy_gauge, t) : 0};
}

static void on_attack(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    (void)sim;
    f->at_attack = snapshot(f, ev->time);
    f->attack_seen = TRUE;
}

/* [series] latency: the sessions that ended since the previous row (nan when none), and the pacer's lag at the row. */
static void latency_columns(Fleet *f, HnbTime now, double *out)
{
    HnbAcsRowLatency rl;
    hnb_tally_init(&rl.session);
    hnb_tally_init(&rl.handshake);
    double lag_ms = NAN;
    hnb_hems_row_latency(&f->hems, now, &rl, &lag_ms);
    out[0] = hnb_tally_quantile(&rl.session, 0.5);
    out[1] = hnb_tally_quantile(&rl.session, 0.95);
    out[2] = hnb_tally_quantile(&rl.handshake, 0.95);
    out[3] = lag_ms;
    hnb_tally_clear(&rl.session);
    hnb_tally_clear(&rl.handshake);
}

static void add_row(Fleet *f, HnbTime now)
{
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbAcsStats *as = hnb_hems_acs_stats(&f->hems);
    double secs = hnb_time_to_sec(now - f->row_at);
    double bytes = hnb_hems_bytes_delivered(&f->hems, now);
    const uint64_t *unmanaged = hs->unmanaged;
    uint64_t n = f->p->hnb.n;
    static const HnbSegwStats no_segw;
    const HnbSegwStats *ss = f->segw ? hnb_segw_stats(f->segw) : &no_segw;
    double row[SERIES_COLUMNS + SERIES_LATENCY] = {
        hnb_time_to_sec(now) / 3600.0,
        (double)hs->count[HNB_S_RUNNING],
        (double)hs->compromised_now,
        (double)hs->count[HNB_S_BOOTING],
        (double)hs->count[HNB_S_GOLDEN],
        (double)hs->count[HNB_S_DOWNLOADING],
        (double)hs->count[HNB_S_INSTALLING],
        (double)hs->count[HNB_S_BRICKED],
        (double)(as->sessions - f->sessions_at_row) / secs,
        (double)(as->refused - f->refused_at_row) / secs,
        (double)as->open,
        (double)as->busy,
        (bytes - f->bytes_at_row) * 8 / secs / 1e9,
        (double)(n - unmanaged[HNB_HS_OK]),
        (double)unmanaged[HNB_TLS_NOT_YET_VALID],
        (double)unmanaged[HNB_TLS_EXPIRED],
        (double)(n - unmanaged[HNB_HS_OK] - unmanaged[HNB_TLS_NOT_YET_VALID] - unmanaged[HNB_TLS_EXPIRED]),
        f->segw ? (double)n - (double)ss->tunnels : 0, /* no_tunnel and the rest: only with a SeGW */
        (double)(ss->setups - f->segw_setups_at_row) / secs,
        (double)(ss->refused - f->segw_refused_at_row) / secs,
        (double)(ss->dropped - f->segw_dropped_at_row) / secs,
        (double)ss->tunnels,
        (double)ss->busy,
        (double)hs->tunnel[HNB_TUN_DOWN],
        (double)hs->tunnel[HNB_TUN_SETUP],
        (double)hs->tunnel[HNB_TUN_DROPPED],
        (double)hs->tunnel[HNB_TUN_REFUSED],
        (double)hs->tunnel[HNB_TUN_NO_CREDENTIAL],
    };
    /* without a SeGW the SeGW's columns are left out: the latency columns, if any, follow the base ones */
    guint ncols = f->segw ? SERIES_COLUMNS : SERIES_BASE;
    if (f->p->latency_series)
        latency_columns(f, now, row + ncols);
    hnb_series_add_row(f->series, row);
    f->segw_setups_at_row = ss->setups;
    f->segw_refused_at_row = ss->refused;
    f->segw_dropped_at_row = ss->dropped;
    f->sessions_at_row = as->sessions;
    f->refused_at_row = as->refused;
    f->bytes_at_row = bytes;
    f->row_at = now;
}

/* Since the previous check, did the fleet change fast?  A refusal, or a state count (or the compromised count) that
 * moved by at least 0.1% of the fleet (at least 1 HNB).  A field force repairing a few HNBs an hour, a periodic Inform
 * now and then, a slow trickle of downloads are slow; an attack's reboots, a boot storm, overload are fast. */
static gboolean changed_fast(Fleet *f)
{
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbAcsStats *as = hnb_hems_acs_stats(&f->hems);
    uint64_t thr = MAX(1, f->p->hnb.n / 1000);
    gboolean fast = as->refused != f->refused_at_check;
    for (int k = 0; k < HNB_S_COUNT; k++) {
        uint64_t a = hs->count[k], b = f->count_at_check[k];
        fast |= (a > b ? a - b : b - a) >= thr;
        f->count_at_check[k] = a;
    }
    uint64_t c = hs->compromised_now, d = f->compromised_at_check;
    fast |= (c > d ? c - d : d - c) >= thr;
    f->compromised_at_check = c;
    f->refused_at_check = as->refused;
    return fast;
}

/* A check at every grid point (fine and coarse).  A row at a coarse point always; at a fine point while the fleet
 * changes fast, and at the first check after it stopped (the row that shows it settled), within FINE_ROWS_MAX. */
static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    const FleetParams *p = f->p;
    HnbTime now = ev->time;
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    if (hs->recovered != f->recovered_at_check) {
        f->at_recovery = snapshot(f, now);
        f->recovery_seen = TRUE;
        f->recovered_at_check = hs->recovered;
    }
    if (now + HNB_HOUR <= p->duration || now <= p->attack.start) { /* the pace: since the attack if that is later */
        f->remote_base = remote_recoveries(f);
        f->remote_base_t = now;
    }
    gboolean fast = changed_fast(f);
    gboolean coarse = now % p->sample == 0;
    if (coarse || ((fast || f->fast_at_check) && f->fine_rows < FINE_ROWS_MAX)) {
        f->fine_rows += !coarse;
        add_row(f, now);
    }
    f->fast_at_check = fast;
    HnbTime next_coarse = (now / p->sample + 1) * p->sample;
    HnbTime next = p->fine ? MIN(next_coarse, (now / p->fine + 1) * p->fine) : next_coarse;
    if (next <= p->duration)
        hnb_sim_schedule(sim, next, f->k_sample, 0, 0);
}

static gboolean has_golden(const HnbScenario *sc)
{
    const char *layout = hnb_scenario_string(sc, "hnb", "layout");
    return strcmp(layout, "golden") == 0 || strcmp(layout, "ab+golden") == 0;
}

/* TS 33.320 clause 8.3.4: TLS to the H(e)MS is mandatory when it sits on the public internet; plain HTTP only inside
 * the SeGW's tunnel.  Does the golden module's plain HTTP ([golden] tls = false, a layout with a golden module) meet
 * it? */
static gboolean golden_http_compliant(const HnbScenario *sc)
{
    return !has_golden(sc) || hnb_scenario_bool(sc, "golden", "tls") ||
           strcmp(hnb_scenario_string(sc, "hems", "reach"), "segw") == 0;
}

/* A non-compliant golden module is run only when the scenario says [tls] profile = custom (then it is marked). */
static gboolean plain_http_allowed(const HnbScenario *sc)
{
    return golden_http_compliant(sc) || strcmp(hnb_scenario_string(sc, "tls", "profile"), "custom") == 0;
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
    HnbSignerParams sp;
    if (!hnb_signer_params_from_scenario(&sp, sc, error))
        return FALSE;
    if (strcmp(hnb_scenario_string(sc, "recovery", "image"), "fixed") == 0 && !hnb_scenario_bool(sc, "fix", "enabled")) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [recovery] image = fixed needs [fix] enabled = true (there is no fixed image to wait for)",
                    hnb_scenario_source(sc));
        return FALSE;
    }
    if (!plain_http_allowed(sc)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [golden] tls = false with [hems] reach = internet: TS 33.320 clause 8.3.4 makes TLS "
                    "mandatory to an H(e)MS on the public internet, so the golden module cannot speak plain HTTP to it; "
                    "set [hems] reach = segw (plain HTTP inside the SeGW's IPsec tunnel) or [tls] profile = custom to "
                    "study a non-compliant deployment",
                    hnb_scenario_source(sc));
        return FALSE;
    }
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

static HnbGoldenCred golden_cred_of(const char *s)
{
    return strcmp(s, "recovery") == 0 ? HNB_GOLDEN_CRED_RECOVERY
           : strcmp(s, "none") == 0   ? HNB_GOLDEN_CRED_NONE
                                      : HNB_GOLDEN_CRED_DEVICE;
}

static HnbPopulationParams hnb_params(const HnbScenario *sc)
{
    const HnbDist *verify = hnb_scenario_dist(sc, "hnb", "image_verify_time");
    return (HnbPopulationParams){
        .n = (uint32_t)hnb_scenario_int(sc, "fleet", "size"),
        .layout = layout_of(hnb_scenario_string(sc, "hnb", "layout")),
        .golden_tls = hnb_scenario_bool(sc, "golden", "tls"),
        .golden_cred = golden_cred_of(hnb_scenario_string(sc, "golden", "credential")),
        .inform_interval = hnb_scenario_time(sc, "cwmp", "periodic_interval"),
        .boot_delay = hnb_scenario_dist(sc, "cwmp", "boot_delay"),
        .retry = {hnb_scenario_time(sc, "cwmp", "retry_min_wait"),
                  (unsigned)hnb_scenario_int(sc, "cwmp", "retry_multiplier")},
        .ike_retry = {hnb_scenario_time(sc, "segw", "retry_min_wait"),
                      (unsigned)hnb_scenario_int(sc, "segw", "retry_multiplier")},
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
        .variants = hnb_scenario_bool(sc, "fix", "enabled") ? (uint32_t)hnb_scenario_int(sc, "signing", "variants") : 0,
        .recovery_fixed = strcmp(hnb_scenario_string(sc, "recovery", "image"), "fixed") == 0,
        .wake_rate = hnb_scenario_number(sc, "fix", "connection_requests"),
    };
}

static HnbAcsParams acs_params(const HnbScenario *sc)
{
    return (HnbAcsParams){
        .workers = hnb_scenario_int(sc, "acs", "workers"),
        .max_sessions = hnb_scenario_int(sc, "acs", "max_sessions"),
        .queue_limit = hnb_scenario_int(sc, "acs", "queue_limit"),
        .overload = hnb_acs_overload_parse(hnb_scenario_string(sc, "acs", "overload")),
        .limit_at = hnb_acs_limit_at_parse(hnb_scenario_string(sc, "acs", "max_sessions_at")),
        .request_cpu = hnb_acs_request_cpu_parse(hnb_scenario_string(sc, "acs", "request_cpu")),
        .syn_retries = (unsigned)hnb_scenario_int(sc, "hnb", "syn_retries"),
        .session_timeout = hnb_scenario_time(sc, "cwmp", "session_timeout"),
        .hs_full = hnb_scenario_dist(sc, "acs", "handshake_time"),
        .hs_resumed = hnb_scenario_dist(sc, "acs", "resumed_handshake_time"),
        .cwmp_cpu = hnb_scenario_dist(sc, "acs", "cwmp_time"),
        .cwmp_cpu_transfer = hnb_scenario_dist(sc, "acs", "transfer_cwmp_time"),
        .cwmp_cpu_download = hnb_scenario_dist(sc, "acs", "download_cwmp_time"),
        .rtt = hnb_scenario_dist(sc, "acs", "rtt"),
        .resumption = hnb_acs_tls_resumption(sc),
        .syn_rto = hnb_scenario_time(sc, "hnb", "syn_rto"),
        .handshake_rtt = hnb_scenario_time(sc, "acs", "handshake_rtt"),
        .horizon = hnb_scenario_time(sc, "scenario", "duration"),
    };
}

static HnbSegwParams segw_params(const HnbScenario *sc)
{
    return (HnbSegwParams){
        .workers = hnb_scenario_int(sc, "segw", "workers"),
        .max_tunnels = hnb_scenario_int(sc, "segw", "max_tunnels"),
        .queue_limit = hnb_scenario_int(sc, "segw", "queue_limit"),
        .setup_cpu = hnb_scenario_dist(sc, "segw", "setup_time"),
        .rekey_cpu = hnb_scenario_dist(sc, "segw", "rekey_time"),
        .rtt = hnb_scenario_dist(sc, "segw", "rtt"),
        .ike_timeout = hnb_scenario_time(sc, "segw", "ike_timeout"),
        .lifetime = hnb_scenario_time(sc, "segw", "lifetime"),
        .dpd_timeout = hnb_scenario_time(sc, "segw", "dpd_timeout"),
        .initial_contact = hnb_scenario_bool(sc, "segw", "initial_contact"),
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
        .repeat = hnb_scenario_time(sc, "attack", "repeat"),
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
        .fine = hnb_scenario_time(sc, "series", "fine_interval"),
        .latency_series = hnb_scenario_bool(sc, "series", "latency"),
        .hnb = hnb_params(sc),
        .acs = acs_params(sc),
        .images = {.bandwidth = hnb_scenario_number(sc, "download", "bandwidth"),
                   .image_bytes = hnb_scenario_number(sc, "download", "image_size"),
                   .max_concurrent = (uint32_t)hnb_scenario_int(sc, "download", "max_concurrent"),
                   .campaign_rate = hnb_scenario_number(sc, "download", "campaign_rate"),
                   .resume = hnb_scenario_bool(sc, "download", "resume")},
        .attack = attack_params(sc),
        .segw = strcmp(hnb_scenario_string(sc, "hems", "reach"), "segw") == 0,
        .segw_p = segw_params(sc),
        .subscriber_hour = hnb_scenario_number(sc, "cost", "subscriber_hour"),
        .stack_module_year = hnb_scenario_number(sc, "cost", "stack_module_year"),
    };
    p->tls = (HnbAcsTlsParams){
        .hnbs = p->hnb.n,
        .workers = p->acs.workers,
        .resumption = p->acs.resumption,
        .threads = progress ? progress->pool_threads : 0,
        .duration = p->duration,
        .ike = p->segw,
        .dh_group = atoi(hnb_scenario_string(sc, "segw", "dh_group")), /* the schema allows only the engine's groups */
    };
    if (p->fine >= p->sample)
        p->fine = 0;
    p->acs.row_latency = p->latency_series;
    hnb_tls_fidelity_parse(hnb_scenario_string(sc, "tls", "fidelity"), &p->tls.fidelity);
    p->ike = (HnbSegwIkeParams){.workers = p->segw_p.workers, .fidelity = p->tls.fidelity};
    gboolean attacked = p->attack.mode != HNB_ATTACK_NONE && p->attack.start <= p->duration;
    hnb_fix_params_from_scenario(&p->fix, sc, attacked ? p->attack.start : HNB_TIME_NEVER);
    hnb_field_params_from_scenario(&p->field, sc, NULL);
}

/* Hours from the regional outage's last power restoration to the fleet's return to full service after it. */
static double region_back_h(const HnbPopulationStats *hs, HnbTime end)
{
    if (hs->region_restored_at == HNB_TIME_NEVER)
        return NAN;
    if (hs->all_running_at == HNB_TIME_NEVER || hs->all_running_at < hs->region_restored_at ||
        hs->all_running_at > end)
        return INFINITY;
    return hnb_time_to_sec(hs->all_running_at - hs->region_restored_at) / 3600.0;
}

/* Hours from the attack to t; inf when t lies beyond the run (HNB_TIME_NEVER); nan without a fix. */
static double since_attack_h(const Fleet *f, HnbTime t)
{
    if (!f->p->fix.enabled || f->p->fix.known_at == HNB_TIME_NEVER)
        return NAN;
    return t == HNB_TIME_NEVER ? INFINITY : hnb_time_to_sec(t - f->p->attack.start) / 3600.0;
}

/* The hole and its fix (fix.h, hnb_fix.c). */
static void fix_metrics(const Fleet *f, HnbMetrics *m)
{
    const HnbFixStats *xs = hnb_fix_stats(f->fix);
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbAttackStats *ats = hnb_attack_stats(f->attack);
    const HnbSignerStats *ss = hnb_fix_signer_stats(f->fix);
    hnb_metrics_add(m, "rewrites_repeated", "HNBs", (double)ats->repeated,
                    "rewrites by the attacker's repeated sweeps ([attack] repeat): HNBs back on a vulnerable image "
                    "rewritten again");
    hnb_metrics_add(m, "fix_built_h", "h", since_attack_h(f, xs->built),
                    "attack -> fixed image built ([fix] develop); inf: beyond the horizon; nan: no fix in the run");
    hnb_metrics_add(m, "fix_signed_h", "h", since_attack_h(f, xs->all_signed),
                    "attack -> fixed image of every variant signed (signing servers, approvers, working hours)");
    hnb_metrics_add(m, "fix_first_published_h", "h", since_attack_h(f, xs->first_published),
                    "attack -> the first variant's fixed image on the H(e)MS (its HNBs can recover from then on)");
    hnb_metrics_add(m, "fix_published_h", "h", since_attack_h(f, xs->all_published),
                    "attack -> fixed image of every variant on the H(e)MS");
    hnb_metrics_add(m, "fix_complete_h", "h", since_attack_h(f, hs->all_on_fix),
                    "attack -> every HNB of the fleet in service on the fixed image (the hole closed); inf: beyond "
                    "the horizon");
    hnb_metrics_add(m, "on_fix", "HNBs", (double)hs->on_fix, "HNBs in service on the fixed image at the end");
    hnb_metrics_add(m, "fix_downloads", "downloads", (double)hs->fix_downloads,
                    "downloads of the fixed image started (rescue of the affected and the fleet-wide campaign)");
    hnb_metrics_add(m, "release_downloads", "downloads", (double)hs->release_downloads,
                    "downloads of the vulnerable release started (recovery before the fix is published)");
    hnb_metrics_add(m, "connection_requests", "sessions", (double)hs->woken,
                    "sessions the H(e)MS opened with a Connection Request to push the fix (TR-069 3.2.2)");
    hnb_metrics_add(m, "fix_images_signed", "images", ss ? (double)ss->signed_images : 0,
                    "fixed images the signing servers signed (real signatures)");
}

/* The SeGW: set-ups, refusals by reason, SA slots, utilisation (whole run and the recovery window w0..w1).  A run
 * without one ([hems] reach = internet) reports them too, as zeros (its utilisations nan), so that variants with and
 * without a SeGW compare side by side (results/compare.c wants the same metrics in every variant). */
static void segw_metrics(const Fleet *f, HnbMetrics *m, const Snapshot *w0, const Snapshot *w1, gboolean window)
{
    static const HnbSegwStats none;
    static const HnbSegwIkeStats none_ike;
    const HnbSegwStats *ss = f->segw ? hnb_segw_stats(f->segw) : &none;
    const HnbSegwIkeStats *is = f->ike ? hnb_segw_ike_stats(f->ike) : &none_ike;
    const FleetParams *p = f->p;
    window = window && f->segw;
    hnb_metrics_add(m, "segw_setups", "set-ups", (double)ss->setups,
                    "IKEv2 tunnel set-ups the HNBs began (RFC 7296 1.2), retries included");
    hnb_metrics_add(m, "segw_setups_real", "set-ups", (double)is->real,
                    "of which ran their IKEv2 cryptographic work for real (crypto/ike_job.h; [tls] fidelity)");
    hnb_metrics_add(m, "segw_tunnels_up", "set-ups", (double)ss->up, "set-ups that brought a tunnel up");
    hnb_metrics_add(m, "segw_dropped", "set-ups", (double)ss->dropped,
                    "IKE_SA_INIT dropped at admission ([segw] max_tunnels, queue_limit; RFC 7296 2.6): the HNB gave "
                    "up after [segw] ike_timeout");
    hnb_metrics_add(m, "segw_refused", "set-ups", (double)ss->refused,
                    "set-ups whose checks failed (either side: AUTHENTICATION_FAILED, RFC 7296 2.21.2), by reason in "
                    "no_tunnel_*");
    hnb_metrics_add(m, "no_tunnel_dropped", "set-ups", (double)ss->dropped, "failed set-ups: dropped (= segw_dropped)");
    for (int k = 0; k < HNB_TLS_REASON_COUNT; k++) {
        if (k == HNB_TLS_OK)
            continue;
        char name[48];
        g_snprintf(name, sizeof name, "no_tunnel_%s", hnb_tls_reason_name((HnbTlsReason)k));
        hnb_metrics_add(m, name, "set-ups", (double)ss->failed[k],
                        "failed set-ups: refused by the SeGW's or the HNB's checks for this reason (TS 33.320 7.3)");
    }
    hnb_metrics_add(m, "segw_ike_retries", "set-ups", (double)hnb_population_stats(f->hnbs)->ike_retries,
                    "set-ups the HNBs retried after a failure ([segw] retry_min_wait, retry_multiplier)");
    hnb_metrics_add(m, "no_tunnel_end", "HNBs", f->segw ? (double)p->hnb.n - (double)ss->tunnels : 0,
                    "HNBs without a tunnel up at the end (off, booting, refused or retrying)");
    hnb_metrics_add(m, "segw_peak_sas", "SAs", (double)ss->sas_max,
                    "most IKE SAs held at once (set-ups, tunnels up and stale tunnels), exact at every change");
    hnb_metrics_add(m, "segw_rekeys", "rekeys", (double)ss->rekeys, "rekeys done ([segw] lifetime, RFC 7296 2.8)");
    hnb_metrics_add(m, "segw_dpd_freed", "SAs", (double)ss->dpd_freed,
                    "stale tunnels found dead by dead-peer detection (RFC 7296 2.4)");
    hnb_metrics_add(m, "segw_replaced", "SAs", (double)ss->replaced,
                    "stale tunnels deleted by an INITIAL_CONTACT (RFC 7296 3.16)");
    hnb_metrics_add(m, "segw_utilisation", "",
                    f->segw ? hnb_gauge_mean(&ss->busy_gauge, p->duration) / (double)p->segw_p.workers : NAN,
                    "busy SeGW workers / workers, whole-run time average");
    double w_ns = (double)(w1->t - w0->t);
    hnb_metrics_add(m, "recovery_segw_utilisation", "",
                    window && w_ns > 0 ? (w1->segw_busy_area - w0->segw_busy_area) / w_ns / (double)p->segw_p.workers
                                       : NAN,
                    "busy SeGW workers / workers, time average over the recovery window");
}

/* Session latencies (models/acs.h HnbAcsLatency): of the sessions completed within the run, from connect(). */
static void latency_metrics(const HnbAcsLatency *l, HnbMetrics *m)
{
    static const struct {
        const char *name, *what;
        size_t off;
    } parts[] = {
        {"connect", "to admission (SYN retransmissions)", G_STRUCT_OFFSET(HnbAcsLatency, connect)},
        {"handshake", "to the end of the TLS handshake (+ wait for a worker, handshake)",
         G_STRUCT_OFFSET(HnbAcsLatency, handshake)},
        {"first_response", "to the InformResponse (+ first round trip)", G_STRUCT_OFFSET(HnbAcsLatency, first_response)},
        {"session", "to the session's end", G_STRUCT_OFFSET(HnbAcsLatency, session)},
    };
    static const double qs[] = {0.5, 0.95, 0.99};
    for (size_t k = 0; k < G_N_ELEMENTS(parts); k++) {
        const HnbTally *t = G_STRUCT_MEMBER_P(l, parts[k].off);
        gboolean whole = k == G_N_ELEMENTS(parts) - 1; /* the session time gets p99 and the mean too */
        for (size_t j = 0; j < (whole ? 3 : 2); j++) {
            char name[48], doc[160];
            g_snprintf(name, sizeof name, "%s_p%02.0f_s", parts[k].name, qs[j] * 100);
            g_snprintf(doc, sizeof doc, "%.0fth percentile, from connect() %s, of the sessions completed in the run",
                       qs[j] * 100, parts[k].what);
            hnb_metrics_add(m, name, "s", hnb_tally_quantile(t, qs[j]), doc);
        }
        if (whole)
            hnb_metrics_add(m, "session_mean_s", "s", t->n ? t->mean : NAN,
                            "mean session time, from connect() to its end, of the sessions completed in the run");
    }
}

/* The download campaign: queue, faults, resume, bytes served. */
static void download_metrics(const Fleet *f, HnbMetrics *m)
{
    const HnbImageServerStats *is = hnb_hems_image_stats(&f->hems);
    for (int k = 0; k < HNB_DL_FAULT_COUNT; k++) {
        char name[48];
        unsigned code = hnb_dl_fault_code((HnbDlFault)k);
        g_snprintf(name, sizeof name, "download_faults_%u", code);
        hnb_metrics_add(m, name, "downloads", (double)is->faults[k],
                        k == HNB_DL_FAULT_9010 ? "TransferComplete fault 9010 (File transfer failure): downloads "
                                                 "cut by the HNB's reboot or power loss"
                                               : "TransferComplete fault 9017 (unable to complete download): downloads "
                                                 "cut by the HNB's [download] timeout");
    }
    hnb_metrics_add(m, "downloads_resumed", "downloads", (double)is->resumed,
                    "downloads that asked for the rest of a cut image (HTTP Range, [download] resume)");
    hnb_metrics_add(m, "download_gbytes", "GB", hnb_hems_bytes_delivered(&f->hems, f->p->duration) / 1e9,
                    "bytes the image server sent: whole images, resumed remainders and what cut downloads received");
    hnb_metrics_add(m, "downloads_queued", "downloads", (double)is->queued,
                    "Download requests that waited in the campaign's queue for a slot ([download] max_concurrent, "
                    "campaign_rate) and were granted");
    hnb_metrics_add(m, "download_queue_peak", "HNBs", (double)is->queue_peak, "most HNBs waiting for a slot at once");
    hnb_metrics_add(m, "download_queue_wait", "h", is->queued ? is->queue_wait_s / (double)is->queued / 3600 : 0,
                    "mean wait of the queued requests, from the session that asked to the Connection Request");
    hnb_metrics_add(m, "download_span", "h",
                    is->last_done >= 0 ? hnb_time_to_sec(is->last_done - is->first_start) / 3600.0 : NAN,
                    "from the first download started to the last completed: the image server's part of the "
                    "recovery's makespan");
}

static void metrics(const Fleet *f, HnbMetrics *m)
{
    const FleetParams *p = f->p;
    const HnbPopulationStats *hs = hnb_population_stats(f->hnbs);
    const HnbAcsStats *as = hnb_hems_acs_stats(&f->hems);
    const HnbImageServerStats *is = hnb_hems_image_stats(&f->hems);
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
    hnb_metrics_add(m, "affected", "HNBs", (double)hs->affected,
                    "losses of service to the attack (a rewritten HNB rebooted); with [attack] repeat an HNB rewritten "
                    "again counts again: recovered, unrecovered, censored and the recover_* times are per episode");
    hnb_metrics_add(m, "affected_hnbs", "HNBs", (double)hs->affected_hnbs,
                    "HNBs that lost service to the attack at least once");
    hnb_metrics_add(m, "recovered", "HNBs", (double)hs->recovered,
                    "episodes of lost service that ended by the end (HNB back in service)");
    hnb_metrics_add(m, "unrecovered", "HNBs", (double)(hs->affected - hs->recovered),
                    "affected HNBs still out of service at the end");
    hnb_metrics_add(m, "bricked", "HNBs", (double)hs->bricked_total, "boots that found no bootable image (need the field)");
    gboolean strandable = hnb_layout_has_golden(p->hnb.layout) &&
                          p->hnb.golden_cred == HNB_GOLDEN_CRED_NONE;
    hnb_metrics_add(m, "golden_stranded", "HNBs", strandable ? (double)hs->golden_stranded : NAN,
                    "boots into a golden module that could not reach the H(e)MS for want of a credential ([golden] "
                    "credential = none behind a SeGW or over TLS): sent to the field like a bricked HNB (nan: the "
                    "layout has no golden module without a credential)");
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
    hnb_metrics_add(m, "region_back_h", "h", region_back_h(hs, p->duration),
                    "from the moment the regional outage's last HNB got power back ([power] region_at + its outage) "
                    "to the moment the whole fleet was in service again (exact; inf: not by the end; nan: no "
                    "regional outage).  Any other outage at the time ([power] mtbf, the attack) delays it too");
    fix_metrics(f, m);
    hnb_metrics_add(m, "subscriber_hours_lost", "h", lost_h, "HNB-hours out of service");
    hnb_metrics_add(m, "truck_rolls", "visits", (double)fs.truck_rolls, "technician visits started");
    hnb_metrics_add(m, "ship_backs", "units", (double)fs.ship_backs, "units shipped back to a depot");
    hnb_metrics_add(m, "field_waiting", "HNBs", (double)fs.waiting, "field jobs not started by the end");
    hnb_metrics_add(m, "field_cost", "cost", fs.cost, "truck rolls and ship-backs");
    hnb_metrics_add(m, "downtime_cost", "cost", sub_cost, "subscriber-hours lost x [cost] subscriber_hour");
    hnb_metrics_add(m, "total_cost", "cost", fs.cost + sub_cost, "field + downtime, within the horizon (see cost_to_completion_total)");
    /* The seed's cost argument: a golden module that reaches the H(e)MS over TLS, or through the SeGW's IPsec tunnel,
     * carries a second security stack to maintain (the release image carries one in every layout; A/B banks hold the
     * same image).  A year's worth, apart from the episode's cost: it does not depend on the horizon. */
    unsigned stacks = 1 + (hnb_layout_has_golden(p->hnb.layout) &&
                           (p->hnb.golden_tls || p->segw) && p->hnb.golden_cred != HNB_GOLDEN_CRED_NONE);
    hnb_metrics_add(m, "stack_modules", "modules", stacks,
                    "software modules of the layout with a TLS/IPsec stack to maintain (the release image; a golden "
                    "module over TLS or behind the SeGW, unless it has no credential to use one)");
    hnb_metrics_add(m, "stack_cost_per_year", "cost", p->stack_module_year > 0 ? stacks * p->stack_module_year : NAN,
                    "stack_modules x [cost] stack_module_year: the layout's yearly cost of keeping its TLS stacks "
                    "maintained, apart from total_cost (nan: not priced)");
    /* What the run still owes at its end (the horizon cuts the field's queue off, not the cost).  Per affected HNB
     * still down: the field's estimate (hnb_field_owed: drawn ends of visits and ship-backs under way, the queue
     * projected through the FIFO at mean visit times in working hours) plus a mean boot; an HNB recovering remotely
     * (golden module, download, install) at the pace of the run's last hour (or since the attack, if later): R of
     * them at r an hour owe R (R + 1) / 2 / r hours, never if none recovered remotely then.  That assumes a
     * throughput-bound recovery (one after the other, as through a bandwidth or an ACS cap); a parallel one cut off
     * mid-episode is overestimated (golden, 2000 HNBs, cut 5 minutes into its 7-minute episode: ~11 HNB-hours owed
     * for 2.5 actual). */
    HnbFieldOwed owed = {0};
    if (f->field)
        hnb_field_owed(f->field, p->duration, &owed);
    uint64_t down = hs->affected - hs->recovered, remote = down > owed.hnbs ? down - owed.hnbs : 0;
    double boot_ns = hnb_dist_mean(p->hnb.boot_time) + (p->hnb.image_verify ? hnb_dist_mean(p->hnb.image_verify) : 0);
    double remote_ns = 0;
    if (remote > 0) {
        double pace = f->remote_base_t < p->duration
                          ? (double)(remote_recoveries(f) - f->remote_base) / (double)(p->duration - f->remote_base_t)
                          : 0;
        remote_ns = pace > 0 ? (double)remote * (double)(remote + 1) / 2 / pace : INFINITY;
    }
    double owed_h = (owed.done_ns + (double)owed.hnbs * boot_ns + remote_ns) / 3600e9;
    double owed_cost = (double)owed.visits * p->field.cost_truck_roll + owed_h * p->subscriber_hour;
    hnb_metrics_add(m, "owed_visits", "visits", (double)owed.visits,
                    "truck rolls still queued at the end: owed, not in field_cost");
    hnb_metrics_add(m, "owed_downtime_h", "h", owed_h,
                    "estimated HNB-hours out of service after the end until every affected HNB is back (field: drawn "
                    "ends of visits and ship-backs under way, the queue at mean visit times in working hours, + mean "
                    "boot; remote: at the last hour's pace, one after the other); inf: never (no technician, or no remote "
                    "progress)");
    hnb_metrics_add(m, "cost_to_completion", "cost", owed_cost,
                    "still owed at the end: owed_visits x [cost] truck_roll + owed_downtime_h x subscriber_hour");
    hnb_metrics_add(m, "cost_to_completion_total", "cost", fs.cost + sub_cost + owed_cost,
                    "total_cost (within the horizon) + cost_to_completion: the episode's cost once every HNB is back");
    hnb_metrics_add(m, "sessions", "sessions", (double)as->sessions, "CWMP sessions the HNBs opened");
    hnb_metrics_add(m, "sessions_completed", "sessions", (double)as->completed, "sessions that ended well");
    hnb_metrics_add(m, "sessions_refused", "sessions", (double)as->refused,
                    "refused for overload: refused_after_handshake + refused_syn (+ refused_rst + refused_closed, measured)");
    hnb_metrics_add(m, "refused_after_handshake", "sessions", (double)as->refused_hs,
                    "refused with HTTP 503 after a worker did their TLS handshake ([acs] overload = "
                    "reject_after_handshake)");
    hnb_metrics_add(m, "refused_syn", "sessions", (double)as->refused_syn,
                    "refused by a connect timeout: every SYN dropped, the accept backlog full ([acs] overload = "
                    "drop_syn)");
    hnb_metrics_add(m, "syn_dropped", "SYNs", (double)as->syn_dropped,
                    "SYNs dropped, retransmissions included (a session may get in on a later SYN)");
    hnb_metrics_add(m, "refusal_worker_s", "s", hnb_time_to_sec(as->refusal_cpu),
                    "worker CPU time spent on refused sessions (their TLS handshakes; 0 with drop_syn)");
    hnb_metrics_add(m, "abandoned", "sessions", (double)as->abandoned,
                    "the HNB went away before a worker took its session: queued past [cwmp] session_timeout, or "
                    "rebooted; cost the H(e)MS no worker time");
    hnb_metrics_add(m, "sessions_failed", "sessions", (double)as->failed, "admitted but failed (TLS)");
    hnb_metrics_add(m, "sessions_open", "sessions", (double)as->open, "still open at the end");
    hnb_metrics_add(m, "sessions_refusing", "sessions", (double)as->refusing,
                    "being refused at the end: SYNs still retransmitted, or a 503 not yet sent");
    hnb_metrics_add(m, "refused_fraction", "", as->sessions ? (double)as->refused / (double)as->sessions : 0,
                    "refused / opened, whole-run mean (quiet hours included: see peak_refused_fraction)");
    hnb_metrics_add(m, "refused_rst", "sessions", (double)as->refused_rst,
                    "connect refused with a TCP RST (measured by hnbsim drive; the model's H(e)MS never refuses so)");
    hnb_metrics_add(m, "refused_closed", "sessions", (double)as->refused_closed,
                    "connection closed before any answer (measured by hnbsim drive; never in the model)");
    latency_metrics(&as->lat, m);
    hnb_metrics_add(m, "throughput_per_s", "sessions/s", (double)as->completed / hnb_time_to_sec(p->duration),
                    "sessions completed / duration, whole-run mean (quiet hours included)");
    const HnbImageServerStats *dls = hnb_hems_image_stats(&f->hems);
    hnb_metrics_add(m, "download_mbps_p50", "Mbit/s", hnb_tally_quantile(&dls->mbps, 0.5),
                    "median per-download throughput: each download's bytes x 8 / its time from the start (first "
                    "byte) to done, its average rate; over the downloads completed within the run (nan: none)");
    hnb_metrics_add(m, "download_bytes", "bytes", hnb_hems_bytes_delivered(&f->hems, p->duration),
                    "bytes the image server delivered within the run (download_gbytes in bytes: whole images, resumed "
                    "remainders, what cut downloads received), up to the horizon");
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
    hnb_metrics_add(m, "downloads_failed", "downloads", (double)is->failed,
                    "cut by the HNB's timeout, a reboot or a power loss (= download_faults_9010 + _9017)");
    hnb_metrics_add(m, "downloads_running", "downloads", (double)hnb_hems_images_active(&f->hems),
                    "still running at the end");
    download_metrics(f, m);
    hnb_metrics_add(m, "acs_utilisation", "", hnb_gauge_mean(&as->busy_gauge, p->duration) / (double)p->acs.workers,
                    "busy workers / workers, whole-run time average (quiet hours included)");
    /* Peaks measured at every event, not read off the samples (sim/window.h for the sliding windows). */
    /* The recovery window: from the attack to the first sampler check at or after the last recovery (at most
     * [series] fine_interval late), or to the end while an affected HNB is still down. */
    gboolean window = f->attack_seen && hs->affected > 0;
    Snapshot w0 = f->at_attack,
             w1 = hs->recovered < hs->affected || !f->recovery_seen || f->at_recovery.t < hs->last_recovery
                      ? snapshot(f, p->duration)
                      : f->at_recovery;
    double w_ns = (double)(w1.t - w0.t);
    hnb_metrics_add(m, "recovery_window_h", "h", window ? w_ns / 3600e9 : NAN,
                    "the recovery window: from the attack to the last recovery (to the first fine_interval check after "
                    "it), or to the end if an affected HNB is still down");
    hnb_metrics_add(m, "recovery_acs_utilisation", "",
                    window && w_ns > 0 ? (w1.busy_area - w0.busy_area) / w_ns / (double)p->acs.workers : NAN,
                    "busy workers / workers, time average over the recovery window");
    hnb_metrics_add(m, "recovery_refused_fraction", "",
                    !window ? NAN
                    : w1.sessions > w0.sessions ? (double)(w1.refused - w0.refused) / (double)(w1.sessions - w0.sessions)
                                                : 0,
                    "refused / opened over the recovery window");
    segw_metrics(f, m, &w0, &w1, window);
    hnb_metrics_add(m, "peak_sessions_per_s", "sessions/s", (double)hnb_window_max_a(&f->sessions_win) / hnb_time_to_sec(PEAK_WINDOW),
                    "most sessions opened in any 1-minute window (t - 1 min, t], exact over every t, / 60 s");
    G_STATIC_ASSERT(PEAK_WINDOW == HNB_MIN); /* the docs say 1 minute */
    hnb_metrics_add(m, "peak_refused_fraction", "", hnb_window_max_ratio(&f->sessions_win),
                    "highest refused / opened in any 1-minute window that opened >= " G_STRINGIFY(PEAK_MIN_SESSIONS)
                    " sessions (exact over every window end); 0 if none was refused, nan if refusals came only in "
                    "quieter minutes");
    hnb_metrics_add(m, "peak_open_sessions", "sessions", (double)as->open_max,
                    "most sessions open (admitted, not yet ended) at once, exact at every admission");
    /* The aggregate rate grows only when a download starts (max-min fair shares: an end or a cut never raises it),
     * and the image server records it after every start: its peak is exact. */
    hnb_metrics_add(m, "peak_download_gbps", "Gbit/s", is->peak_bps / 1e9,
                    "highest aggregate download rate, exact (the rate is piecewise constant between starts and ends)");
    hnb_metrics_add(m, "tls_profile_compliant", "", f->tls_compliant ? 1 : 0,
                    "1 if the [tls] group meets TS 33.320 clause 8.3.4 and the golden module speaks TLS or sits behind the SeGW "
                    "([hems] reach = segw), 0 if profile = custom departs from it");
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

/* The columns: SERIES_BASE of them in every run; with a SeGW the rest too (a run without one writes exactly the
 * columns it always did).  no_tunnel: HNBs without a tunnel up (booting, refused, retrying, off); the SeGW's load as
 * rates since the previous row like sessions_per_s (set-ups begun, refused by the checks, dropped at admission: the
 * counters of segw_setups, segw_refused, segw_dropped), and two gauges at the row: tunnels up, workers busy; then the
 * HNBs without a tunnel by why (models/fleet.h HnbTunnel, exact at the row, summing to no_tunnel): no verified image
 * runs (booting, installing, off, bricked), a set-up under way, waiting to retry after a dropped set-up, after a
 * refused one (clock, revocation, expiry), and a golden module without a credential. */
static HnbSeries *new_series(gboolean segw, gboolean latency)
{
    static const char *const cols[] = {"time_h",     "in_service", "compromised",   "booting",       "golden",
                                       "downloading", "installing", "bricked",      "sessions_per_s", "refused_per_s",
                                       "open_sessions", "acs_busy", "download_gbps", "unmanaged_tls",
                                       "unmanaged_not_yet_valid", "unmanaged_expired", "unmanaged_other",
                                       "no_tunnel", "segw_setups_per_s", "segw_refused_per_s", "segw_dropped_per_s",
                                       "tunnels", "segw_busy", "no_tunnel_down", "no_tunnel_setting_up",
                                       "no_tunnel_after_drop", "no_tunnel_after_refusal", "no_tunnel_no_credential"};
    static const char *const units[] = {"h", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs",
                                        "sessions/s", "sessions/s", "sessions", "workers", "Gbit/s",
                                        "HNBs", "HNBs", "HNBs", "HNBs", "HNBs", "set-ups/s", "set-ups/s", "set-ups/s",
                                        "HNBs", "workers", "HNBs", "HNBs", "HNBs", "HNBs", "HNBs"};
    static const char *const lat_cols[] = {"session_p50_s", "session_p95_s", "handshake_p95_s", "pace_lag_ms"};
    static const char *const lat_units[] = {"s", "s", "s", "ms"};
    G_STATIC_ASSERT(G_N_ELEMENTS(cols) == SERIES_COLUMNS && G_N_ELEMENTS(units) == SERIES_COLUMNS);
    G_STATIC_ASSERT(G_N_ELEMENTS(lat_cols) == SERIES_LATENCY && G_N_ELEMENTS(lat_units) == SERIES_LATENCY);
    guint n = segw ? SERIES_COLUMNS : SERIES_BASE;
    const char *names[SERIES_COLUMNS + SERIES_LATENCY], *unit[SERIES_COLUMNS + SERIES_LATENCY];
    memcpy(names, cols, n * sizeof *names);
    memcpy(unit, units, n * sizeof *unit);
    if (latency) {
        memcpy(names + n, lat_cols, sizeof lat_cols);
        memcpy(unit + n, lat_units, sizeof lat_units);
        n += SERIES_LATENCY;
    }
    return hnb_series_new(n, names, unit);
}

/* The crypto first (it can fail: PKI, configuration, signing), then the parts in the order that fixes the first
 * events: the field, the sampler's kind, the HNBs' initial events, the ACS, the attack. */
static gboolean parts_new(Fleet *f, const HnbScenario *sc, guint rep, HnbHemsNew make, void *make_data,
                          GError **error)
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
    f->tls_compliant = f->tls_compliant && golden_http_compliant(sc);
    f->hnbs = hnb_population_new(f->sim, &p->hnb, p->seed, rep, p->duration);
    if (!make)
        f->images = hnb_image_server_new(f->sim, &p->images, &hnb_population_image_client, f->hnbs);
    f->field = hnb_field_new(f->sim, &p->field, hnb_stream(p->seed, rep, "field"), hnb_population_repaired, f->hnbs);
    f->k_sample = hnb_sim_register(f->sim, "fleet.sample", on_sample, f);
    f->k_attack = hnb_sim_register(f->sim, "fleet.attack-mark", on_attack, f);
    if (make) {
        if (!make(make_data, f->sim, sc, rep, &hnb_population_acs_client, &hnb_population_image_client, f->hnbs,
                  &f->sessions_win, &f->hems, error))
            return FALSE;
    } else {
        f->acs = hnb_acs_new(f->sim, &p->acs, f->tls, hnb_stream(p->seed, rep, "acs.service"),
                             &hnb_population_acs_client, f->hnbs);
        hnb_acs_observe(f->acs, &f->sessions_win);
        f->hems = hnb_hems_model_new(f->acs, f->tls, f->images);
    }
    if (p->segw) {
        f->ike = hnb_segw_ike_new(&p->ike, hnb_acs_tls_pool(f->tls), hnb_acs_tls_ike_run, hnb_acs_tls_ike(f->tls));
        f->segw = hnb_segw_new(f->sim, &p->segw_p, p->hnb.n, hnb_stream(p->seed, rep, "segw.service"),
                               &hnb_population_segw_client, f->hnbs);
        hnb_segw_set_crypto(f->segw, &hnb_segw_ike_crypto, f->ike);
    }
    hnb_population_start(f->hnbs, &(HnbPopulationParts){.segw = f->segw, .hems = f->hems, .boot = f->boot,
                                                         .field = f->field});
    if (f->segw) { /* t = 0 is a steady state: every tunnel up, each rekeyed at its own phase ("segw.phase") */
        HnbStream phase = hnb_stream(p->seed, rep, "segw.phase");
        for (uint32_t i = 0; i < p->hnb.n; i++)
            hnb_segw_established(f->segw, i, (HnbTime)(hnb_rng_uniform(phase, i, 0) * (double)p->segw_p.lifetime));
    }
    f->attack = hnb_attack_new(f->sim, &p->attack, p->hnb.n, p->duration, hnb_stream(p->seed, rep, "attack.pick"),
                               &hnb_population_attack_target, f->hnbs);
    f->fix = hnb_fix_new(f->sim, &p->fix, p->seed, rep, hnb_acs_tls_pool(f->tls), hnb_acs_tls_pki(f->tls),
                         hnb_population_fix_published, f->hnbs);
    return TRUE;
}

/* Mirrors parts_new: the ACS abandons its handshakes before the TLS part frees the pool, which runs the image checks
 * still queued before secure boot frees them. */
static void parts_free(Fleet *f)
{
    hnb_fix_free(f->fix); /* joins its signatures before the TLS part frees the pool */
    hnb_attack_free(f->attack);
    hnb_segw_free(f->segw); /* abandons its IKE jobs before the TLS part frees the pool */
    hnb_segw_ike_free(f->ike);
    hnb_hems_free(&f->hems);
    hnb_acs_free(f->acs);
    hnb_field_free(f->field);
    hnb_image_server_free(f->images);
    hnb_population_free(f->hnbs);
    hnb_acs_tls_free(f->tls);
    hnb_secure_boot_free(f->boot);
}

struct HnbFleetRun {
    FleetParams p;
    Fleet f;
};

HnbFleetRun *hnb_fleet_run_new(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbHemsNew make,
                               void *make_data, GError **error)
{
    HnbFleetRun *r = g_new0(HnbFleetRun, 1);
    FleetParams *p = &r->p;
    Fleet *f = &r->f;
    fleet_params(p, sc, progress);
    *f = (Fleet){.p = p, .sim = hnb_sim_new(), .series = new_series(p->segw, p->latency_series)};
    hnb_window_init(&f->sessions_win, PEAK_WINDOW, PEAK_MIN_SESSIONS);
    if (!parts_new(f, sc, rep, make, make_data, error)) {
        hnb_fleet_run_free(r);
        return NULL;
    }
    const HnbPopulationStats *hs0 = hnb_population_stats(f->hnbs);
    memcpy(f->count_at_check, hs0->count, sizeof f->count_at_check); /* the steady state at t = 0 */
    f->compromised_at_check = hs0->compromised_now;
    HnbTime first = p->fine ? p->fine : p->sample;
    if (first <= p->duration)
        hnb_sim_schedule(f->sim, first, f->k_sample, 0, 0);
    /* after the attack's own first event (scheduled in parts_new): the counters the attack starts from */
    if (p->attack.mode != HNB_ATTACK_NONE && p->attack.start <= p->duration)
        hnb_sim_schedule(f->sim, p->attack.start, f->k_attack, 0, 0);
    return r;
}

HnbSim *hnb_fleet_run_sim(HnbFleetRun *r) { return r->f.sim; }
HnbTime hnb_fleet_run_duration(const HnbFleetRun *r) { return r->p.duration; }

gboolean hnb_fleet_run_finish(HnbFleetRun *r, HnbMetrics *out, HnbSeries **series, HnbSeries **cdf, GError **error)
{
    Fleet *f = &r->f;
    gboolean ok = hnb_acs_tls_error(f->tls, error) && hnb_segw_ike_error(f->ike, error);
    GError *sign_error = hnb_fix_take_error(f->fix);
    if (sign_error && ok)
        g_propagate_error(error, sign_error), ok = FALSE;
    else
        g_clear_error(&sign_error);
    if (!ok)
        return FALSE;
    hnb_population_censor(f->hnbs, r->p.duration);
    hnb_window_finish(&f->sessions_win, r->p.duration);
    metrics(f, out);
    *series = g_steal_pointer(&f->series);
    *cdf = recovery_cdf(f);
    return TRUE;
}

void hnb_fleet_run_free(HnbFleetRun *r)
{
    if (!r)
        return;
    Fleet *f = &r->f;
    parts_free(f);
    if (f->series)
        hnb_series_free(f->series);
    hnb_sim_free(f->sim);
    hnb_window_clear(&f->sessions_win);
    g_free(r);
}

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    HnbFleetRun *r = hnb_fleet_run_new(sc, rep, progress, NULL, NULL, error);
    if (!r)
        return FALSE;
    hnb_model_run_kernel(r->f.sim, r->p.duration, progress);
    hnb_sim_drop_pending(r->f.sim); /* nothing runs after the horizon: the summaries below need the room */
    gboolean ok = hnb_fleet_run_finish(r, out, series, cdf, error);
    hnb_fleet_run_free(r);
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
    {"hnb", "syn_retries", HNB_KEY_INT, 0, "6", "0", "20", NULL,
     "SYN retransmissions before the HNB's connect fails (Linux net.ipv4.tcp_syn_retries, default 6): initial RTO "
     "[hnb] syn_rto (1 s, RFC 6298 2.1) doubled per SYN (5.5), so SYNs at 0, 1, 3 ... 63 s and failure at 127 s"},
    {"hnb", "syn_rto", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1s", "1ms", "60s", NULL,
     "the HNB's initial TCP retransmission timeout for its SYN (RFC 6298 2.1: 1 s), doubled at each retransmission "
     "(5.5)"},
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
    {"golden", "credential", HNB_KEY_ENUM, 0, "device", NULL, NULL, "device|recovery|none",
     "what the golden module authenticates with, to the SeGW (IKEv2, TS 33.320 clause 7.3) and over TLS (clause "
     "8.3.4).  device: the device key, which the TrE releases to the golden module once secure boot has verified it "
     "(the reading this scenario takes of TS 33.320 clause 6.1, which ties the TrE's use of the device key to a "
     "successful integrity check, not to one image).  recovery: its own recovery certificate ([pki] recovery_*, from "
     "a recovery CA the SeGW and the H(e)MS accept for a recovery session only, with the same identity check).  "
     "none: no key at all: it cannot build a tunnel or a TLS session, so behind a SeGW, or with [golden] tls, it "
     "cannot recover (the HNB waits for the field, counted in golden_stranded)"},
    {"hems", "reach", HNB_KEY_ENUM, 0, "internet", NULL, NULL, "internet|segw",
     "where the H(e)MS sits (TS 33.320 clause 8.3.4): internet: on the public internet, no SeGW in the model, TLS to "
     "it mandatory (golden tls = false is refused unless [tls] profile = custom); segw: behind the Security Gateway "
     "(TS 33.320 clause 7): after every boot the HNB builds an IKEv2 tunnel with its device certificate ([segw]) "
     "and is in service, and reaches the H(e)MS, only with its tunnel up; TLS inside the tunnel is the scenario's "
     "choice.  Each set-up runs IKEv2's cryptographic cost and checks for real (crypto/ike_job.h), not an IKE "
     "implementation; its time on the SeGW is the modelled [segw] setup_time"},
    {"segw", "workers", HNB_KEY_INT, 0, "8", "1", "100000", NULL,
     "SeGW CPU workers doing the responder's IKEv2 public-key work (RFC 7296 1.2 IKE_SA_INIT + IKE_AUTH), FIFO"},
    {"segw", "max_tunnels", HNB_KEY_INT, 0, "16000000", "1", "100000000", NULL,
     "IKE SAs the SeGW holds at once: set-ups in progress, tunnels up and stale tunnels of rebooted HNBs not yet "
     "found dead; an IKE_SA_INIT beyond it is dropped (a responder under load may, RFC 7296 2.6)"},
    {"segw", "queue_limit", HNB_KEY_INT, 0, "0", "0", "100000000", NULL,
     "set-ups waiting for a worker beyond which a new IKE_SA_INIT is dropped (RFC 7296 2.6); 0: only max_tunnels "
     "limits"},
    {"segw", "setup_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "2500us", NULL, NULL, NULL,
     "worker CPU time of the SeGW's share of one tunnel set-up (RFC 7296 1.2, TS 33.320 clause 7.3: its (EC)DH, "
     "the device chain with the CRL, the HNB's AUTH, its own AUTH signature); [acs] calibration sets it from "
     "segw_setup_ec/_rsa (by [pki] device_key).  Each set-up's cryptographic cost and checks also run for real "
     "(crypto/ike_job.h, per [tls] fidelity): IKEv2's public-key work, not an IKE implementation"},
    {"segw", "dh_group", HNB_KEY_ENUM, 0, "19", NULL, NULL, "14|19|20|21|31",
     "the (EC)DH group of every set-up's IKE_SA_INIT key exchange (RFC 7296 3.3.2, transform type 4 IDs): 14 "
     "MODP-2048, 19 P-256 ECDH, 20 P-384, 21 P-521, 31 Curve25519.  It changes the real cryptographic work each set-up "
     "runs (crypto/ike_job.h), not the modelled [segw] setup_time: calibrate with `hnbsim calibrate --dh-group N` "
     "(then [acs] calibration sets setup_time for this group) or set setup_time yourself"},
    {"segw", "rekey_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "300us", NULL, NULL, NULL,
     "worker CPU time of one rekey (CREATE_CHILD_SA with a fresh (EC)DH, RFC 7296 1.3.2); modelled, not run"},
    {"segw", "rtt", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(20ms,80ms)", NULL, NULL, NULL,
     "network time of one IKE exchange (request and response); a set-up is two (RFC 7296 1.2)"},
    {"segw", "ike_timeout", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "165s", "1s", "1d", NULL,
     "the HNB's IKE client retransmits an unanswered IKE_SA_INIT and gives up this long after the first (RFC 7296 "
     "2.1 leaves the schedule to the implementation; 165 s is strongSwan's default 5 retransmits at 4 s x 1.8^n)"},
    {"segw", "lifetime", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "0s", "3650d", NULL,
     "a tunnel up is rekeyed every lifetime (RFC 7296 2.8, CREATE_CHILD_SA); 0s: never"},
    {"segw", "dpd_timeout", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "5m", "0s", "30d", NULL,
     "the SeGW finds the tunnel of a rebooted HNB dead by dead-peer detection (RFC 7296 2.4) this long after the "
     "HNB went away, and frees its SA slot then"},
    {"segw", "initial_contact", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "the HNB's IKE_AUTH carries INITIAL_CONTACT (RFC 7296 3.16): the SeGW deletes the HNB's stale tunnels when its "
     "new one comes up, without waiting for dead-peer detection"},
    {"segw", "retry_min_wait", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "5s", "1s", "65535s", NULL,
     "after a failed set-up (dropped, or refused by either side) the HNB's IKE client waits as CWMP's Session Retry "
     "Policy does (TS 33.320 and RFC 7296 leave the back-off to the implementation; the same formula as TR-069 "
     "3.2.1.1 with its own count): a uniform draw in [m (k/1000)^(n-1), m (k/1000)^n], n capped at 10; this is m"},
    {"segw", "retry_multiplier", HNB_KEY_INT, 0, "2000", "1000", "65535", NULL,
     "k of the IKE client's back-off, in thousandths (see retry_min_wait)"},
    {"cwmp", "periodic_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "1m", "30d", NULL,
     "PeriodicInformInterval (each HNB at its own random PeriodicInformTime phase)"},
    {"cwmp", "boot_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "0s", NULL, NULL, NULL,
     "wait before every boot Inform (\"1 BOOT\", TR-069 Table 7), the golden module's included: some CPEs wait a "
     "random 0-N s to spare the ACS after a power failure or a mass reboot"},
    {"cwmp", "session_timeout", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "30s", "0s", "1d", NULL,
     "the HNB gives up on a session no H(e)MS worker has taken this long after it connected (no ServerHello, or no "
     "HTTP response) and retries per TR-069 3.2.1.1 (TR-069 leaves this timeout to the CPE); 0s: it waits as long "
     "as it takes"},
    {"cwmp", "retry_min_wait", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "5s", "1s", "65535s", NULL,
     "CWMPRetryMinimumWaitInterval (TR-069 3.2.1.1)"},
    {"cwmp", "retry_multiplier", HNB_KEY_INT, 0, "2000", "1000", "65535", NULL,
     "CWMPRetryIntervalMultiplier, in thousandths (TR-069 3.2.1.1)"},
    {"acs", "workers", HNB_KEY_INT, 0, "16", "1", "100000", NULL, "H(e)MS CPU workers (TLS handshakes and CWMP)"},
    {"acs", "max_sessions", HNB_KEY_INT, 0, "2000", "1", "10000000", NULL,
     "sessions open at once; more are refused as [acs] overload says"},
    {"acs", "queue_limit", HNB_KEY_INT, 0, "0", "0", "10000000", NULL,
     "sessions waiting for a worker; more are refused as [acs] overload says (0: only max_sessions limits)"},
    {"acs", "overload", HNB_KEY_ENUM, 0, "reject_after_handshake", NULL, NULL, "reject_after_handshake|drop_syn",
     "a session beyond max_sessions or queue_limit: reject_after_handshake: a worker does its TLS handshake "
     "(queued like any session), then answers HTTP 503 (RFC 7231 6.6.4), as an HTTPS front end's connection and "
     "rate limits do; drop_syn: the accept backlog is full, its SYNs are dropped at no ACS cost and retransmitted "
     "by the HNB (RFC 6298 5.5) until its connect times out ([hnb] syn_retries).  Either way the HNB backs off per "
     "TR-069 3.2.1.1"},
    {"acs", "max_sessions_at", HNB_KEY_ENUM, 0, "connect", NULL, NULL, "connect|inform",
     "where max_sessions counts a session (the spec leaves it to the ACS): connect: a connection slot from admission "
     "(the SYN accepted) to the session's end, a session beyond it refused at connect as overload says (a front end's "
     "connection limit); inform: from the Inform's arrival (TR-069 Am.6 3.7.1: the session begins with the Inform) "
     "to the last response sent, every connection admitted and handshaken and an Inform beyond it answered with "
     "CWMP fault 8005 / HTTP 503 (hnbsim acs counts so; `hnbsim calibrate --target` sets it)"},
    {"acs", "request_cpu", HNB_KEY_ENUM, 0, "with_handshake", NULL, NULL, "with_handshake|queued",
     "when a session's CWMP requests get their worker CPU (servers differ; the spec is silent): with_handshake: every "
     "round trip's right after the handshake, on its worker; queued: each request when it arrives (after the previous "
     "response's flight and its own), FIFO behind whatever waits, handshakes included, as an event-loop server "
     "answers (hnbsim acs; `hnbsim calibrate --target` sets it).  Under a loaded CPU each round trip then waits for "
     "a worker"},
    {"acs", "handshake_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "1200us", NULL, NULL, NULL,
     "worker CPU time of a full TLS handshake (hnbsim calibrate measures it)"},
    {"acs", "resumed_handshake_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "150us", NULL, NULL, NULL,
     "worker CPU time of a resumed handshake"},
    {"acs", "calibration", HNB_KEY_STRING, 0, "", NULL, NULL, NULL,
     "a file from `hnbsim calibrate -o FILE` (relative to the scenario file): its measured times for the [pki] key "
     "types replace the defaults of handshake_time, resumed_handshake_time, [hnb] image_verify_time and (with [hems] "
     "reach = segw) [segw] setup_time; a [target] group (a real H(e)MS measured by `hnbsim calibrate --target URL`) "
     "sets handshake_time, resumed_handshake_time, cwmp_time, transfer_cwmp_time, download_cwmp_time, rtt, "
     "handshake_rtt, workers, max_sessions, "
     "queue_limit, overload and [tls] resumption over them; keys the "
     "scenario sets itself win; scenario.resolved.ini records the values, not the file"},
    {"acs", "cwmp_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "exp(4ms)", NULL, NULL, NULL,
     "worker CPU time per CWMP round trip (of an Inform-only session; of the kinds below unless they are set)"},
    {"acs", "transfer_cwmp_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "", NULL, NULL, NULL,
     "worker CPU time per CWMP round trip of a session carrying a TransferComplete (TR-069 A.3.3.2; the session after "
     "an upgrade): empty = cwmp_time; `hnbsim calibrate --target` measures it"},
    {"acs", "download_cwmp_time", HNB_KEY_DIST, HNB_UNIT_DURATION, "", NULL, NULL, NULL,
     "worker CPU time per CWMP round trip of a session in which the ACS sends a Download (A.3.2.8; wins over "
     "transfer_cwmp_time when a session is both): empty = cwmp_time; `hnbsim calibrate --target` measures it"},
    {"acs", "rtt", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(20ms,80ms)", NULL, NULL, NULL,
     "network time per CWMP round trip (holds the session, not a worker)"},
    {"acs", "handshake_rtt", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "60s", NULL,
     "network time of a TLS handshake, added to the session's network time (holds the session, not a worker): the "
     "round trips of the handshake and the client's share of its work; `hnbsim calibrate` measures it"},
    {"download", "bandwidth", HNB_KEY_NUMBER, HNB_UNIT_BITRATE, "10Gbps", "1kbps", "100Tbps", NULL,
     "image server bandwidth shared fairly (max-min, each capped by its access link) by the downloads running"},
    {"download", "max_concurrent", HNB_KEY_INT, 0, "500", "0", "16000000", NULL,
     "downloads the H(e)MS's campaign runs at once: it sends a Download (TR-069 A.3.2.8) only when a slot is free; "
     "the others wait in a FIFO queue and get a Connection Request (TR-069 3.2.2) in their turn.  500 = the default "
     "10 Gbit/s bandwidth / the default access link's 20 Mbit/s median, so each download runs near its access "
     "link's rate: size it as bandwidth / access link.  0: no cap, every Download at once sharing the bandwidth "
     "(once affected x image_size / bandwidth passes the timeout, every download fails together)"},
    {"download", "campaign_rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "0/s", "0/s", "1000000/s", NULL,
     "Download RPCs per unit time the H(e)MS's campaign sends, queued HNBs waiting their turn (the staggering that "
     "TR-069 A.3.2.8 DelaySeconds gives a campaign); 0/s: unlimited"},
    {"download", "resume", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "a download cut by the timeout resumes from the bytes the HNB holds with an HTTP Range request (RFC 7233 3.1, "
     "206 Partial Content 4.1); a reboot or power loss loses them (an image is verified before it is written, so a "
     "partial one lives in RAM).  false: each Download starts from byte 0, as a TR-069 Download (a new transfer) "
     "does unless the CPE keeps partial data"},
    {"download", "image_size", HNB_KEY_NUMBER, HNB_UNIT_SIZE, "50MB", "1kB", "100GB", NULL, "release image size"},
    {"download", "access_link", HNB_KEY_DIST, HNB_UNIT_BITRATE, "lognormal(20Mbps,0.7)", NULL, NULL, NULL,
     "each HNB's access link, which caps its download"},
    {"download", "timeout", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "2h", "1s", "30d", NULL,
     "the HNB cuts a download not done by then; its next session, after its Session Retry Policy wait (TR-069 "
     "3.2.1.1), reports TransferComplete with fault 9017 (A.3.3.2) and gets the Download again via the campaign"},
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
    {"attack", "repeat", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "0s", "0s", "3650d", NULL,
     "the attacker comes back every this long after start and rewrites again every exposed HNB that runs a "
     "vulnerable image (a recovered one too, unless it runs the fix); 0s: one attack only"},
    {"attack", "reboot_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(0s,60s)", NULL, NULL, NULL,
     "from the rewrite to the reboot (small: the attacker reboots; large: the next reboot)"},
    {"series", "fine_interval", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1m", "0s", "1d", NULL,
     "the time series gains a row every fine_interval while the fleet changes fast (a refusal, or a state count moved "
     "by >= 0.1% of the fleet since the previous check), besides every [scenario] sample_interval; at most 20160 "
     "such rows a replication; 0s: the coarse rows only"},
    {"series", "latency", HNB_KEY_BOOL, 0, "false", NULL, NULL, NULL,
     "the time series gains the columns session_p50_s, session_p95_s and handshake_p95_s (of the sessions completed "
     "that ended since the previous row; nan when none) and pace_lag_ms (how late hnbsim drive's pacer ran the row; "
     "0 in the model), and the figure session-latency"},
    {"cost", "currency", HNB_KEY_STRING, 0, "EUR", NULL, NULL, NULL,
     "the unit of every [cost] price and cost metric (a label: the captions and the findings say it)"},
    {"cost", "truck_roll", HNB_KEY_NUMBER, HNB_UNIT_NONE, "150", "0", NULL, NULL, "cost of one truck roll"},
    {"cost", "ship_back", HNB_KEY_NUMBER, HNB_UNIT_NONE, "60", "0", NULL, NULL, "cost of one ship-back"},
    {"cost", "subscriber_hour", HNB_KEY_NUMBER, HNB_UNIT_NONE, "0.5", "0", NULL, NULL,
     "cost of one HNB-hour out of service"},
    {"cost", "stack_module_year", HNB_KEY_NUMBER, HNB_UNIT_NONE, "0", "0", NULL, NULL,
     "engineering cost of keeping one software module's TLS/IPsec stack maintained for a year (security patches, "
     "re-certification): the seed's cost argument against a second module with its own stack"},
    HNB_KEY_END,
};

static const HnbFigure figures[] = {
    {"fleet", "Fleet state after the mass rewrite", "HNBs", "in_service compromised golden downloading bricked", FALSE},
    {"hems-load", "H(e)MS load: sessions opened and refused", "sessions/s", "sessions_per_s refused_per_s", FALSE},
    {"hems-concurrency", "H(e)MS sessions open and workers busy", "sessions", "open_sessions acs_busy", FALSE},
    {"download", "Image server throughput", "Gbit/s", "download_gbps", FALSE},
    {"unmanaged", "Out of management: latest TLS handshake failed, by reason", "HNBs",
     "unmanaged_not_yet_valid unmanaged_expired unmanaged_other", FALSE},
    /* the SeGW's (TS 33.320 clause 7): only runs with [hems] reach = segw have these columns */
    {"segw-load", "SeGW load: tunnel set-ups begun, refused and dropped", "set-ups/s",
     "segw_setups_per_s segw_refused_per_s segw_dropped_per_s", TRUE},
    {"segw-tunnels", "Tunnels up and HNBs without a tunnel", "HNBs", "tunnels no_tunnel", TRUE},
    {"segw-no-tunnel", "HNBs without a tunnel, by why", "HNBs",
     "no_tunnel_down no_tunnel_setting_up no_tunnel_after_drop no_tunnel_after_refusal no_tunnel_no_credential", TRUE},
    /* [series] latency = true only */
    {"session-latency", "H(e)MS session latency, sessions ended since the previous row", "s",
     "session_p50_s session_p95_s handshake_p95_s", TRUE},
};

static const HnbCompareFigure compare_figures[] = {
    {"in-service", "HNBs in service", "time (h)", "HNBs", HNB_COMPARE_SERIES, "in_service", FALSE, NULL, FALSE},
    {"hems-sessions", "H(e)MS load: sessions opened", "time (h)", "sessions/s", HNB_COMPARE_SERIES,
     "sessions_per_s", FALSE, NULL, FALSE},
    {"hems-refused", "H(e)MS overload: sessions refused", "time (h)", "sessions/s", HNB_COMPARE_SERIES,
     "refused_per_s", FALSE, NULL, FALSE},
    {"unmanaged", "Out of management: latest TLS handshake failed", "time (h)", "HNBs", HNB_COMPARE_SERIES,
     "unmanaged_tls", FALSE, NULL, FALSE},
    {"recovery-cdf", "Time to recover, affected HNBs", "time to recover (h)", "fraction of affected HNBs",
     HNB_COMPARE_CDF, NULL, FALSE, NULL, FALSE},
    /* SeGW */
    {"no-tunnel", "HNBs without a tunnel", "time (h)", "HNBs", HNB_COMPARE_SERIES, "no_tunnel", TRUE, NULL, FALSE},
    {"session-latency", "Median session time, sessions ended since the previous row", "time (h)", "s",
     HNB_COMPARE_SERIES, "session_p50_s", TRUE, NULL, FALSE}, /* [series] latency = true */
    {"session-p50", "Median session time, from connect() to the end", NULL, "s", HNB_COMPARE_BAR, "session_p50_s",
     FALSE, NULL, FALSE},
    {"cost", "Operator cost: field visits and subscriber downtime", NULL, "cost", HNB_COMPARE_BAR, "total_cost",
     FALSE, NULL, FALSE},
};

/* The findings paragraph (results.h, HnbFinding): per layout, who lost service, who came back and when (Kaplan-Meier,
 * so the HNBs still down count), at what cost, and the limits met on the way.  A metric added later gets one line
 * here; runs that lack it skip it. */
static const HnbFinding findings[] = {
    {"affected_hnbs", "{} lost service", "HNBs", 0},
    {"rewrites_repeated", " (rewritten again {} times by the returning attacker)", NULL, 0},
    {"recovered", "; {} losses of service ended by the end", NULL, 0},
    {"censored", ", {} still down", NULL, 0},
    {"recover_km_p50", "; time to recover: median {}", "h", 0},
    {"recover_km_p95", ", 95th percentile {}", "h", 0},
    {"fix_first_published_h", "; the fixed image was on the H(e)MS {} after the attack", "h", 0},
    {"fix_complete_h", ", the whole fleet in service on it {} after the attack", "h", 0},
    {"golden_stranded", "; {} boots into a golden module without a credential, which could not reach the H(e)MS and "
                        "waited for the field", NULL, 0},
    {"region_back_h", "; after the regional outage the whole fleet was in service again {} after power returned",
     "h", 0},
    {"total_cost", "; cost {} within the run", NULL, 0},
    {"cost_to_completion_total", " ({} to completion)", NULL, 0},
    {"stack_cost_per_year", ", and {} a year to keep its TLS stacks maintained", NULL, 0},
    {"peak_sessions_per_s", "; H(e)MS peak {} sessions/s", NULL, 0},
    {"recovery_acs_utilisation", ", workers busy {} of the recovery window", "%", 100},
    {"sessions_refused", ", {} sessions refused", NULL, 0},
    {"truck_rolls", "; field: {} truck rolls", NULL, 0},
    {"ship_backs", ", {} ship-backs", NULL, 0},
    {"field_waiting", ", {} jobs not started by the end", NULL, 0},
    {NULL, "Times to recover are Kaplan-Meier estimates over the affected HNBs, those still down at the end counted "
           "as not yet recovered (\"beyond the horizon\": fewer had recovered when the run ended); cost is field "
           "visits and subscriber downtime at the [cost] prices, in the currency the assumptions name.", NULL, 0},
};

/* The attack's episode for the time-series figures' lower panel: from a margin before [attack] start to the last
 * recovery of the replications where every affected HNB recovered (makespan), or to attack + 6 h when in none did
 * (the field's days would stretch the panel back to the whole run), plus a margin of a tenth of that span (at least
 * 5 minutes) on each side.  No panel without an attack or when the episode is most of the run; the marks (attack,
 * fix built, signed, published, the whole fleet on the fix) whenever there is an attack. */
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
    zoom->panel = zoom->to - zoom->from < duration / 2;
    /* each moment at its mean over the replications (the lines are means too); a moment that some replication did
     * not reach within the run is left out (in a comparison the marks are one variant's, and "all on the fix" is
     * the one moment that depends on the layout) */
    static const struct {
        const char *metric, *label;
    } moments[] = {{NULL, "attack"},
                   {"fix_built_h", "fix built"},
                   {"fix_signed_h", "fix signed"},
                   {"fix_published_h", "fix published"},
                   {"fix_complete_h", "all on the fix"}};
    zoom->nmarks = 0;
    for (guint k = 0; k < G_N_ELEMENTS(moments) && nreps > 0; k++) {
        double sum = 0;
        guint n = 0;
        for (guint r = 0; r < nreps; r++) {
            double after = moments[k].metric ? hnb_metrics_value(reps[r], moments[k].metric) : 0;
            if (isfinite(after) && start + after <= duration)
                sum += after, n++;
        }
        if (n < nreps)
            continue;
        zoom->marks[zoom->nmarks].at = start + sum / n;
        g_strlcpy(zoom->marks[zoom->nmarks].label, moments[k].label, sizeof zoom->marks[0].label);
        zoom->nmarks++;
    }
    return TRUE;
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
    "download cap {download.max_concurrent}",
    "attacker returns every {attack.repeat} (0s: never)",
    "recovery image {recovery.image}",
    "fix in the run: {fix.enabled}, built {fix.develop} after the attack",
    "{signing.servers} signing servers, {signing.variants} variants",
    "costs in {cost.currency} per truck roll {cost.truck_roll}, ship-back {cost.ship_back}, subscriber-hour "
    "{cost.subscriber_hour}",
    NULL,
};

static const HnbKeySpec *const shared_schemas[] = {hnb_field_schema, hnb_fix_schema, hnb_signer_schema,
                                                   hnb_tls_schema, hnb_pki_schema, NULL};

const HnbModel hnb_model_fleet = {
    .name = "fleet",
    .doc = "HNB fleet under a mass software-rewrite attack: recovery over TR-069 with real TLS, field visits, cost; "
           "with [hems] reach = segw a Security Gateway whose tunnel set-ups run IKEv2's cryptographic cost and checks "
           "for real ((EC)DH, AUTH signatures, certificate chains with the CRL) without being an IKE implementation "
           "(no IKE message is encoded or sent)",
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
    .compliance = hnb_paths_compliance,
};
