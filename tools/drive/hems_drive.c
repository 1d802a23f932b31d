/* tools/drive/hems_drive.c — the real H(e)MS behind the HnbHems seam (hems_drive.h).
 *
 * Per HNB (the fleet is at most a few tens of thousands here): its session or image fetch under way, the TLS session
 * it keeps, and what its next TransferComplete reports (the last Download's CommandKey and URL, the fault of its last
 * transfer: 0, 9010 or 9017, TR-069 Amendment 6 A.3.3.2).  An HNB has at most one session and one fetch at a time:
 * the population opens a session only when none is under way (HNB_F_IN_SESSION), a download only after the session
 * that carried its Download.
 *
 * A client callback (a libev callback) never calls the population: it records what it measured and posts an event
 * (hnb_pace_post) whose handler, inside the kernel at the scenario time of the outcome, counts it as the model does and
 * calls the population.  The event's arg carries the HNB's power generation (a stale outcome, of an HNB that rebooted
 * since, is dropped — `lost` cancels what is under way, so only a post racing the reboot in one loop turn can be) and
 * the outcome packed in the payload.
 */
#include "tools/drive/hems_drive.h"

#include <math.h>
#include <string.h>

#define LATE_NS (10 * 1000000LL) /* a connect this late against its scenario time counts as late (DESIGN part 1) */

typedef struct HnbHemsDrive HnbHemsDrive;

typedef struct {
    HnbHemsDrive *d;
    uint32_t hnb;
    uint8_t gen;
    uint8_t events;
    HnbTime at; /* the scenario time of its connect */
    HnbDriveSession *s;
} SessionSlot;

typedef struct {
    HnbHemsDrive *d;
    uint32_t hnb;
    uint8_t gen;
    double cap_bytes;
    ev_timer delay; /* DelaySeconds of the Download (A.3.2.8), in real time: the server's campaign staggers in its time */
    gboolean waiting;
    HnbDriveImage *img;
} ImageSlot;

typedef struct {
    SessionSlot *session; /* under way, or NULL */
    ImageSlot *image;     /* under way (or waiting its DelaySeconds), or NULL */
    SSL_SESSION *kept;    /* the TLS session it offers next (models/acs_tls.c keeps one per HNB likewise) */
    char *url, *command_key; /* of its last Download */
    int64_t file_size;
    int delay_s;
    int fault;            /* its last transfer's TransferComplete FaultCode */
} PerHnb;

struct HnbHemsDrive {
    HnbHemsDriveConfig cfg;
    HnbSim *sim;
    HnbPace *pace;
    const HnbAcsClient *acs;
    const HnbImageServerClient *images;
    void *pop;
    HnbWindow *win;
    gboolean resume;      /* [tls] resumption is not none: an HNB offers its kept session (models/acs.c likewise) */
    const HnbDist *rtt;   /* --wan: [acs] rtt; NULL without */
    HnbStream wan_stream; /* its draws: "drive.wan" */
    uint32_t n, k_session, k_image;
    PerHnb *h;
    HnbAcsStats as;
    HnbAcsRowLatency row; /* the sessions tallied in as.lat since the last row ([series] latency) */
    HnbImageServerStats is;
    double bytes;
    size_t images_active;
    HnbHemsDriveExtra x;
    GString *sessions_csv; /* a row per session that ended (hems_drive.h) */
};

/* ---- the payload of a posted outcome ------------------------------------------------------------------------------ */

/* session: the client's outcome (4 bits), the handshake's reason (4), a Download came (1), the handshake succeeded
 * (1), it was resumed (1) */
#define P_OUTCOME(p) ((HnbDriveOutcome)((p)&0xF))
#define P_REASON(p) ((HnbTlsReason)(((p) >> 4) & 0xF))
#define P_DOWNLOAD 0x100u
#define P_HS_OK 0x200u
#define P_RESUMED 0x400u
G_STATIC_ASSERT(HNB_DRIVE_OUTCOME_COUNT <= 16 && HNB_TLS_REASON_COUNT <= 16);

static double to_scenario_s(const HnbHemsDrive *d, int64_t from, int64_t to)
{
    return (double)(to - from) / 1e9 * d->cfg.speed;
}

static void set_open(HnbHemsDrive *d, int64_t open)
{
    d->as.open = open;
    if (open > d->as.open_max)
        d->as.open_max = open;
    hnb_gauge_set(&d->as.open_gauge, hnb_sim_now(d->sim), (double)open);
}

static void note_failure(HnbHemsDrive *d, const char *what, const char *detail)
{
    if (!d->x.first_failure[0])
        g_snprintf(d->x.first_failure, sizeof d->x.first_failure, "%s%s%s", what, *detail ? ": " : "", detail);
}

/* ---- sessions ------------------------------------------------------------------------------------------------------ */

static void fill_events(unsigned events, const char **out)
{
    size_t n = hnb_cwmp_event_codes(events, out, HNB_DRIVE_MAX_EVENTS);
    if (n == 0)
        out[n++] = "2 PERIODIC"; /* a session the model opens without a pending event is its periodic Inform */
    out[n] = NULL;
}

/* The session's outcome inside the kernel: counted as models/acs.c counts, then handed to the HNB. */
static void on_session(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbHemsDrive *d = ud;
    uint32_t i = ev->entity;
    uint64_t p = HNB_ARG_PAYLOAD(ev->arg);
    HnbDriveOutcome o = P_OUTCOME(p);
    (void)sim;
    set_open(d, d->as.open - 1);
    gboolean tls_done = (p & P_HS_OK) || o == HNB_DRIVE_HS_FAILED;
    if (tls_done) {
        d->as.handshakes++;
        d->as.real_handshakes++;
        d->as.hs[(p & P_HS_OK) ? HNB_TLS_OK : P_REASON(p)]++;
        d->as.resumed += (p & P_RESUMED) != 0;
    }
    gboolean refused = o == HNB_DRIVE_REFUSED_OVERLOAD || o == HNB_DRIVE_REFUSED_SYN || o == HNB_DRIVE_REFUSED_RST ||
                       o == HNB_DRIVE_REFUSED_CLOSED;
    if (refused) {
        d->as.refused++;
        d->as.refused_hs += o == HNB_DRIVE_REFUSED_OVERLOAD;
        d->as.refused_syn += o == HNB_DRIVE_REFUSED_SYN;
        d->as.refused_rst += o == HNB_DRIVE_REFUSED_RST;
        d->as.refused_closed += o == HNB_DRIVE_REFUSED_CLOSED;
        if (d->win)
            hnb_window_add(d->win, ev->time, 0, 1);
    } else if (o == HNB_DRIVE_OK) {
        d->as.completed++;
    } else if (o == HNB_DRIVE_TIMEOUT && !(p & P_HS_OK)) {
        d->as.abandoned++; /* no ServerHello within the session timeout: the model's abandoned session */
    } else {
        d->as.failed++;
    }
    if (HNB_ARG_GEN(ev->arg) != d->acs->peer(d->pop, i).gen)
        return; /* the HNB rebooted since: its session died with it */
    if (o == HNB_DRIVE_HS_FAILED)
        d->acs->tls_failed(d->pop, i, P_REASON(p));
    else if ((p & P_HS_OK) && d->h[i].kept)
        d->acs->tls_kept(d->pop, i);
    d->acs->session_end(d->pop, i, o == HNB_DRIVE_OK,
                        o == HNB_DRIVE_OK && (p & P_DOWNLOAD) ? HNB_CWMP_ACS_DOWNLOAD : HNB_CWMP_ACS_NOTHING);
}

static void keep_download(PerHnb *h, const HnbDriveDownload *dl)
{
    g_free(h->url);
    g_free(h->command_key);
    h->url = g_strdup(dl->url);
    h->command_key = g_strdup(dl->command_key);
    h->file_size = dl->file_size;
    h->delay_s = dl->delay_seconds > 0 ? dl->delay_seconds : 0;
}

static double us_since(int64_t t0, int64_t t)
{
    return t ? (double)(t - t0) / 1e3 : NAN;
}

/* sessions.csv: what the schedule decided (replication, HNB, scenario time, events) first, then what was measured. */
static void session_row(HnbHemsDrive *d, const SessionSlot *slot, const HnbDriveResult *r)
{
    char events[128];
    hnb_cwmp_events_format(slot->events, events, sizeof events);
    g_string_append_printf(d->sessions_csv, "0,%u,%" G_GINT64_FORMAT ",\"%s\",%s,%s,%.1f,%.1f,%.1f,%.1f\n", slot->hnb,
                           (gint64)slot->at, events, hnb_drive_outcome_name(r->outcome),
                           r->outcome == HNB_DRIVE_HS_FAILED ? hnb_tls_reason_name(r->hs_reason) : "-",
                           us_since(r->t_start, r->t_connected), us_since(r->t_start, r->t_handshake),
                           us_since(r->t_start, r->t_first_response), us_since(r->t_start, r->t_end));
}

static void on_session_done(HnbDriveSession *s, HnbDriveResult *r, void *user_data)
{
    SessionSlot *slot = user_data;
    HnbHemsDrive *d = slot->d;
    PerHnb *h = &d->h[slot->hnb];
    (void)s;
    h->session = NULL;
    session_row(d, slot, r);
    d->x.outcomes[r->outcome]++;
    d->x.in_flight--;
    if (r->outcome != HNB_DRIVE_OK)
        note_failure(d, hnb_drive_outcome_name(r->outcome), r->detail);
    gboolean hs_ok = r->t_handshake != 0;
    if (hs_ok && r->session) { /* the session (or ticket) it offers next time */
        if (h->kept)
            SSL_SESSION_free(h->kept);
        h->kept = r->session;
        r->session = NULL;
    }
    gboolean download = r->outcome == HNB_DRIVE_OK && r->download.present && r->download.url;
    if (download)
        keep_download(h, &r->download);
    uint64_t p = (uint64_t)r->outcome | ((uint64_t)r->hs_reason << 4) | (download ? P_DOWNLOAD : 0) |
                 (hs_ok ? P_HS_OK : 0) | (r->resumed ? P_RESUMED : 0);
    if (hnb_pace_ended(d->pace) || !hnb_pace_post(d->pace, d->k_session, slot->hnb, HNB_ARG(slot->gen, p))) {
        d->x.after_end++; /* in the grace: the server counts it, the run does not */
        d->x.after_end_ok += r->outcome == HNB_DRIVE_OK;
        g_free(slot);
        return;
    }
    if (r->outcome == HNB_DRIVE_OK) {
        HnbAcsLatency *l = &d->as.lat;
        hnb_tally_add(&l->connect, to_scenario_s(d, r->t_start, r->t_connected));
        hnb_tally_add(&l->handshake, to_scenario_s(d, r->t_start, r->t_handshake));
        hnb_tally_add(&l->first_response, to_scenario_s(d, r->t_start, r->t_first_response));
        hnb_tally_add(&l->session, to_scenario_s(d, r->t_start, r->t_end));
        /* it ended now, in scenario time: the next row's */
        hnb_tally_add(&d->row.session, to_scenario_s(d, r->t_start, r->t_end));
        hnb_tally_add(&d->row.handshake, to_scenario_s(d, r->t_start, r->t_handshake));
    }
    g_free(slot);
}

static void d_connect(void *impl, uint32_t i)
{
    HnbHemsDrive *d = impl;
    PerHnb *h = &d->h[i];
    g_return_if_fail(h->session == NULL);
    HnbAcsPeer peer = d->acs->peer(d->pop, i);
    d->as.sessions++;
    set_open(d, d->as.open + 1);
    if (d->win)
        hnb_window_add(d->win, hnb_sim_now(d->sim), 1, 0);
    if (hnb_pace_lag_ns(d->pace, hnb_sim_now(d->sim)) > LATE_NS)
        d->x.connects_late++;
    const char *events[HNB_DRIVE_MAX_EVENTS + 1];
    fill_events(peer.events, events);
    HnbDriveTransfer tc = {.command_key = h->command_key ? h->command_key : "", .fault_code = h->fault};
    /* the HNB's clock, which may lag after a power loss, is what it checks the H(e)MS certificate against: the
     * offset from true time in seconds, not scaled (a clock a day behind is a day behind at any speed) */
    HnbTime now = hnb_sim_now(d->sim);
    time_t verify = time(NULL) + (time_t)((double)(d->acs->clock(d->pop, i, now) - now) / 1e9);
    HnbDriveSessionSpec spec = {
        .device = i,
        .recovery = peer.recovery,
        .mode = HNB_DRIVE_CWMP,
        .session = d->resume && peer.has_session ? h->kept : NULL, /* as the model: acs.c offers only then */
        .software_version = peer.needs_image ? d->cfg.golden_version : d->cfg.image_version,
        .events = events,
        .transfer = &tc,
        .verify_time = verify,
    };
    /* --wan: the round trips' network times drawn as the model draws [acs] rtt (on the HNB's own counter, a stream of
     * the drive's), waited for real, unscaled: the speed-equivalent scenario scales the model's instead */
    for (unsigned k = 0; d->rtt && k < HNB_DRIVE_MAX_TRIPS; k++)
        spec.wan_rtt[k] = hnb_time_to_sec(d->acs->sample(d->pop, i, d->rtt, d->wan_stream));
    SessionSlot *slot = g_new0(SessionSlot, 1);
    *slot = (SessionSlot){.d = d, .hnb = i, .gen = peer.gen, .events = peer.events, .at = now};
    h->session = slot;
    d->x.in_flight++;
    slot->s = hnb_drive_session_start(d->cfg.client, &spec, on_session_done, slot);
}

/* HNB i's session under way, if any, closed now without a callback; whether there was one. */
static gboolean session_drop(HnbHemsDrive *d, uint32_t i)
{
    SessionSlot *slot = d->h[i].session;
    if (!slot)
        return FALSE;
    hnb_drive_session_cancel(slot->s);
    g_free(slot);
    d->h[i].session = NULL;
    d->x.in_flight--;
    return TRUE;
}

static void cancel_session(HnbHemsDrive *d, uint32_t i)
{
    if (!session_drop(d, i))
        return;
    set_open(d, d->as.open - 1);
    d->as.abandoned++; /* the HNB went away with its session (a reboot, a power loss) */
}

/* ---- images -------------------------------------------------------------------------------------------------------- */

static void on_image(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbHemsDrive *d = ud;
    uint32_t i = ev->entity;
    HnbDriveImageOutcome o = (HnbDriveImageOutcome)HNB_ARG_PAYLOAD(ev->arg);
    (void)sim;
    d->images_active--;
    if (o == HNB_DRIVE_IMAGE_OK) {
        d->is.completed++;
        d->is.last_done = ev->time;
    } else {
        d->is.failed++;
        d->is.faults[d->h[i].fault == 9010 ? HNB_DL_FAULT_9010 : HNB_DL_FAULT_9017]++;
    }
    if (HNB_ARG_GEN(ev->arg) != d->acs->peer(d->pop, i).gen)
        return;
    if (o == HNB_DRIVE_IMAGE_OK)
        d->images->done(d->pop, i);
    else
        d->images->failed(d->pop, i, d->h[i].fault == 9010 ? HNB_DL_FAULT_9010 : HNB_DL_FAULT_9017);
}

static void on_image_done(HnbDriveImage *img, const HnbDriveImageResult *r, void *user_data)
{
    ImageSlot *slot = user_data;
    HnbHemsDrive *d = slot->d;
    PerHnb *h = &d->h[slot->hnb];
    (void)img;
    h->image = NULL;
    d->x.image_outcomes[r->outcome]++;
    d->x.in_flight--;
    d->bytes += (double)r->bytes;
    /* TransferComplete's FaultCode (A.3.3.2, A.5.1): 9017 for an image that did not arrive whole or does not verify,
     * 9010 for a transfer the server refused */
    h->fault = r->outcome == HNB_DRIVE_IMAGE_OK ? 0 : r->outcome == HNB_DRIVE_IMAGE_REFUSED ? 9010 : 9017;
    if (r->outcome != HNB_DRIVE_IMAGE_OK)
        note_failure(d, hnb_drive_image_outcome_name(r->outcome), r->detail);
    gboolean counted = !hnb_pace_ended(d->pace) &&
                       hnb_pace_post(d->pace, d->k_image, slot->hnb, HNB_ARG(slot->gen, (uint64_t)r->outcome));
    /* completed within the run, as the session latencies are counted: its rate in scenario time (bytes over the
     * first byte to the last, × speed as every measured time) */
    double secs = to_scenario_s(d, r->t_first_byte, r->t_image_done);
    if (counted && r->outcome == HNB_DRIVE_IMAGE_OK && r->t_first_byte && secs > 0)
        hnb_tally_add(&d->is.mbps, (double)r->bytes * 8 / secs / 1e6);
    g_free(slot);
}

static void image_begin(HnbHemsDrive *d, ImageSlot *slot)
{
    PerHnb *h = &d->h[slot->hnb];
    slot->waiting = FALSE;
    HnbAcsPeer peer = d->acs->peer(d->pop, slot->hnb);
    slot->img = hnb_drive_image_start(d->cfg.client, slot->hnb, peer.recovery, h->url, h->file_size, slot->cap_bytes,
                                      on_image_done, slot);
}

static void on_image_delay(struct ev_loop *loop, ev_timer *w, int revents)
{
    ImageSlot *slot = (ImageSlot *)((char *)w - G_STRUCT_OFFSET(ImageSlot, delay));
    (void)loop, (void)revents;
    image_begin(slot->d, slot);
}

static gboolean d_image_request(void *impl, uint32_t i)
{
    (void)impl, (void)i;
    return TRUE; /* the real campaign staggers with DelaySeconds and refuses with 503: no queue on this side */
}

static void d_image_start(void *impl, uint32_t i, double cap_bps)
{
    HnbHemsDrive *d = impl;
    PerHnb *h = &d->h[i];
    g_return_if_fail(h->image == NULL && h->url != NULL);
    ImageSlot *slot = g_new0(ImageSlot, 1);
    *slot = (ImageSlot){.d = d, .hnb = i, .gen = d->acs->peer(d->pop, i).gen, .cap_bytes = cap_bps / 8};
    h->image = slot;
    d->is.started++;
    if (d->is.first_start < 0)
        d->is.first_start = hnb_sim_now(d->sim);
    d->images_active++;
    d->x.in_flight++;
    if (h->delay_s > 0) {
        slot->waiting = TRUE;
        ev_timer_init(&slot->delay, on_image_delay, h->delay_s, 0);
        ev_timer_start(d->cfg.loop, &slot->delay);
        return;
    }
    image_begin(d, slot);
}

/* HNB i's fetch (or its wait for DelaySeconds) ends on the HNB's side: `fault` is what it reports. */
/* HNB i's fetch (or its wait for DelaySeconds), if any, stopped now without a callback; whether there was one. */
static gboolean image_drop(HnbHemsDrive *d, uint32_t i)
{
    ImageSlot *slot = d->h[i].image;
    if (!slot)
        return FALSE;
    if (slot->waiting)
        ev_timer_stop(d->cfg.loop, &slot->delay);
    else
        hnb_drive_image_cancel(slot->img);
    g_free(slot);
    d->h[i].image = NULL;
    d->x.in_flight--;
    return TRUE;
}

static gboolean image_cut(HnbHemsDrive *d, uint32_t i, HnbDlFault fault)
{
    if (!image_drop(d, i))
        return FALSE;
    d->images_active--;
    d->is.failed++;
    d->is.faults[fault]++;
    d->h[i].fault = (int)hnb_dl_fault_code(fault);
    return TRUE;
}

static void d_image_cancel(void *impl, uint32_t i)
{
    image_cut(impl, i, HNB_DL_FAULT_9017); /* the HNB's own timeout (hnb.c on_dl_timeout) */
}

static gboolean d_image_restart(void *impl, uint32_t i)
{
    return image_cut(impl, i, HNB_DL_FAULT_9010); /* cut by the reboot or power loss */
}

/* ---- the rest of the seam ------------------------------------------------------------------------------------------ */

static void d_lost(void *impl, uint32_t i)
{
    cancel_session(impl, i); /* its image is cut by image_restart, which the population calls first */
}

static void d_tls_forget(void *impl, uint32_t i)
{
    HnbHemsDrive *d = impl;
    if (d->h[i].kept)
        SSL_SESSION_free(d->h[i].kept);
    d->h[i].kept = NULL;
}

static void d_tls_prefetch(void *impl, uint32_t i, HnbTime at, HnbTime clock, gboolean has_session, gboolean rec)
{
    (void)impl, (void)i, (void)at, (void)clock, (void)has_session, (void)rec; /* tls_runs_ahead is NULL: never called */
}

static const HnbAcsStats *d_acs_stats(void *impl) { return &((HnbHemsDrive *)impl)->as; }
static const HnbImageServerStats *d_image_stats(void *impl) { return &((HnbHemsDrive *)impl)->is; }
static size_t d_images_active(void *impl) { return ((HnbHemsDrive *)impl)->images_active; }
static double d_bytes(void *impl, HnbTime now)
{
    (void)now; /* measured: what has arrived so far */
    return ((HnbHemsDrive *)impl)->bytes;
}

static void d_row_latency(void *impl, HnbTime now, HnbAcsRowLatency *out, double *lag_ms)
{
    HnbHemsDrive *d = impl;
    hnb_tally_merge(&out->session, &d->row.session);
    hnb_tally_merge(&out->handshake, &d->row.handshake);
    hnb_tally_clear(&d->row.session);
    hnb_tally_clear(&d->row.handshake);
    hnb_tally_init(&d->row.session);
    hnb_tally_init(&d->row.handshake);
    /* the row's check is a kernel event the pacer runs: its lag, as pace.h measures every event's */
    *lag_ms = d->pace ? (double)hnb_pace_lag_ns(d->pace, now) / 1e6 : NAN;
}

void hnb_hems_drive_cut_all(HnbHemsDrive *d)
{
    for (uint32_t i = 0; i < d->n; i++) {
        session_drop(d, i);
        image_drop(d, i);
    }
}

static void d_free(void *impl)
{
    HnbHemsDrive *d = impl;
    hnb_hems_drive_cut_all(d);
    for (uint32_t i = 0; i < d->n; i++) {
        if (d->h[i].kept)
            SSL_SESSION_free(d->h[i].kept);
        g_free(d->h[i].url);
        g_free(d->h[i].command_key);
    }
    g_free(d->h);
    g_string_free(d->sessions_csv, TRUE);
    hnb_tally_clear(&d->as.lat.connect);
    hnb_tally_clear(&d->as.lat.handshake);
    hnb_tally_clear(&d->as.lat.first_response);
    hnb_tally_clear(&d->as.lat.session);
    hnb_tally_clear(&d->row.session);
    hnb_tally_clear(&d->row.handshake);
    hnb_tally_clear(&d->is.mbps);
    g_free(d);
}

static const HnbHemsOps drive_ops = {
    .connect = d_connect,
    .lost = d_lost,
    .image_request = d_image_request,
    .image_start = d_image_start,
    .image_cancel = d_image_cancel,
    .image_restart = d_image_restart,
    .tls_forget = d_tls_forget,
    .tls_runs_ahead = NULL,
    .tls_prefetch = d_tls_prefetch,
    .acs_stats = d_acs_stats,
    .image_stats = d_image_stats,
    .images_active = d_images_active,
    .bytes_delivered = d_bytes,
    .row_latency = d_row_latency,
    .free = d_free,
};

gboolean hnb_hems_drive_new(void *setup, HnbSim *sim, const HnbScenario *sc, guint rep,
                            const HnbAcsClient *acs_client, const HnbImageServerClient *image_client,
                            void *population, HnbWindow *sessions_win, HnbHems *out, GError **error)
{
    HnbHemsDriveSetup *st = setup;
    (void)error;
    HnbHemsDrive *d = g_new0(HnbHemsDrive, 1);
    d->cfg = st->cfg;
    d->sim = sim;
    d->acs = acs_client;
    d->images = image_client;
    d->pop = population;
    d->win = sessions_win;
    d->n = (uint32_t)hnb_scenario_int(sc, "fleet", "size");
    d->h = g_new0(PerHnb, d->n);
    d->resume = hnb_acs_tls_resumption(sc);
    if (st->cfg.wan) {
        d->rtt = hnb_scenario_dist(sc, "acs", "rtt");
        d->wan_stream = hnb_stream((uint64_t)hnb_scenario_int(sc, "scenario", "seed"), rep, "drive.wan");
    }
    d->sessions_csv = g_string_new("replication,hnb,time_ns,events,outcome,reason,connect_us,handshake_us,"
                                   "first_response_us,end_us\n");
    d->is.first_start = d->is.last_done = -1;
    hnb_tally_init(&d->is.mbps);
    hnb_gauge_init(&d->as.busy_gauge, 0, 0);
    hnb_gauge_init(&d->as.open_gauge, 0, 0);
    hnb_tally_init(&d->as.lat.connect);
    hnb_tally_init(&d->as.lat.handshake);
    hnb_tally_init(&d->as.lat.first_response);
    hnb_tally_init(&d->as.lat.session);
    hnb_tally_init(&d->row.session);
    hnb_tally_init(&d->row.handshake);
    d->k_session = hnb_sim_register(sim, "drive.session", on_session, d);
    d->k_image = hnb_sim_register(sim, "drive.image", on_image, d);
    st->made = d;
    *out = (HnbHems){.ops = &drive_ops, .impl = d};
    return TRUE;
}

void hnb_hems_drive_set_pace(HnbHemsDrive *d, HnbPace *pace) { d->pace = pace; }

void hnb_hems_drive_extra(const HnbHemsDrive *d, HnbHemsDriveExtra *out) { *out = d->x; }

const char *hnb_hems_drive_sessions_csv(const HnbHemsDrive *d) { return d->sessions_csv->str; }
