/* models/hnb.c — one HNB's life: boot, secure boot, running with periodic Informs, CWMP sessions, image download,
 * install, reboot; the failure paths of each image layout; power loss.
 *
 * Layouts (the seed's first doubt): `single` — one writable release image: a rewritten image leaves nothing to boot,
 * the HNB is bricked until the field restores it.  `golden` — plus a read-only initial module that can only reach the
 * H(e)MS and download the release image.  `ab` — two writable banks with a boot counter (after 3 failed boots of the
 * active bank, boot the other, as RAUC/Android A/B do).  `ab+golden` — both.
 *
 * Streams: "hnb.phase" (entity i, draw 0) fixes each HNB's PeriodicInformTime phase; "hnb.boot" the boot and install
 * times; "cwmp.retry" the retry waits; "download.link" access links; "power" the power process.  Draw counters are per
 * HNB, so one HNB's extra retries never shift another's numbers.
 */
#include "models/acs_tls.h"
#include "models/fleet.h"

#include <math.h>

static inline double draw(Fleet *f, HnbStream s, uint32_t i)
{
    return hnb_rng_uniform(s, i, f->hnb[i].draws++);
}

static inline HnbTime sample(Fleet *f, const HnbDist *d, HnbStream s, uint32_t i)
{
    HnbRng r = hnb_rng_at(s, i, f->hnb[i].draws);
    HnbTime t = hnb_dist_sample_time(d, &r);
    f->hnb[i].draws = (uint32_t)r.counter;
    return t;
}

void hnb_fleet_set_state(Fleet *f, uint32_t i, HnbState s)
{
    Hnb *h = &f->hnb[i];
    f->count[h->state]--;
    f->count[s]++;
    h->state = (uint8_t)s;
}

/* Leave service (once): the downtime clock starts. */
static void leave_service(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    if (h->down_since < 0)
        h->down_since = hnb_sim_now(f->sim);
}

static void enter_service(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    HnbTime now = hnb_sim_now(f->sim);
    if (h->down_since >= 0) {
        f->down_ns_total += (double)(now - h->down_since);
        if (h->flags & HNB_F_AFFECTED) {
            hnb_tally_add(&f->recover_h, hnb_time_to_sec(now - h->down_since) / 3600.0);
            f->recovered++;
            f->last_recovery = now;
            h->flags &= (uint8_t)~HNB_F_AFFECTED;
        }
        h->down_since = -1;
    }
    hnb_fleet_set_state(f, i, HNB_S_RUNNING);
}

static void set_clock(Fleet *f, uint32_t i, HnbTime offset);

/* The next PeriodicInformTime of HNB i after now: phase_i + k * interval. */
static HnbTime next_periodic(Fleet *f, uint32_t i)
{
    HnbTime now = hnb_sim_now(f->sim), iv = f->inform_interval;
    HnbTime phase = (HnbTime)(hnb_rng_uniform(f->s_phase, i, 0) * (double)iv);
    HnbTime k = now >= phase ? (now - phase) / iv + 1 : 0;
    return phase + k * iv;
}

static void schedule_periodic(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    HnbTime at = next_periodic(f, i);
    h->timer = hnb_sim_schedule(f->sim, at, f->k_inform, i, HNB_ARG(h->gen, 0));
    hnb_acs_tls_prefetch(f, i, at); /* its handshake can run in the pool meanwhile */
}

static void open_session(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    h->timer = 0;
    h->flags |= HNB_F_IN_SESSION;
    hnb_fleet_acs_connect(f, i);
}

static void on_inform(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    Hnb *h = &f->hnb[ev->entity];
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen || (h->flags & HNB_F_IN_SESSION))
        return;
    h->events |= HNB_CWMP_EV_PERIODIC;
    open_session(f, ev->entity);
}

static void on_retry(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    Hnb *h = &f->hnb[ev->entity];
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen || (h->flags & HNB_F_IN_SESSION))
        return;
    open_session(f, ev->entity);
}

static gboolean active_ok(const Hnb *h)
{
    return (h->images & ((h->images & HNB_IMG_ON_B) ? HNB_IMG_B_OK : HNB_IMG_A_OK)) != 0;
}

/* A boot attempt ending at `at`: secure boot verifies the active bank's image (a real signature check in the pool,
 * joined when the attempt ends); the check's token rides in the event. */
/* The HNB's CPU time for one image signature check ([hnb] image_verify_time).  A zero time draws nothing, so the
 * random streams, and with them the results, are those of a model without the key. */
static HnbTime verify_time(Fleet *f, uint32_t i)
{
    return f->image_verify ? sample(f, f->image_verify, f->s_boot, i) : 0;
}

static void schedule_boot(Fleet *f, uint32_t i, HnbTime at)
{
    Hnb *h = &f->hnb[i];
    at += verify_time(f, i);
    uint64_t token = hnb_acs_image_submit(f, active_ok(h));
    hnb_sim_schedule(f->sim, at, f->k_boot, i, HNB_ARG(h->gen, token));
    hnb_acs_tls_prefetch(f, i, at); /* its first session after the boot (release image or golden module) */
}

void hnb_fleet_reboot(Fleet *f, uint32_t i, HnbTime delay)
{
    Hnb *h = &f->hnb[i];
    HnbTime now = hnb_sim_now(f->sim);
    if (h->state == HNB_S_DOWNLOADING) {
        hnb_downloads_cancel(f->dl, now, i);
        f->dl_failed++;
    }
    if (h->timer)
        hnb_sim_cancel(f->sim, h->timer);
    h->timer = 0;
    h->gen++; /* whatever this life still had pending (a session at the ACS, a timer) is now stale */
    if (h->flags & HNB_F_COMPROMISED) { /* the rewritten image takes effect now */
        h->flags = (uint8_t)((h->flags & ~HNB_F_COMPROMISED) | HNB_F_AFFECTED);
        f->compromised_now--;
        f->affected++;
    }
    h->flags &= (uint8_t)~HNB_F_IN_SESSION;
    h->retry = 0;
    hnb_acs_tls_forget(f, i); /* a reboot loses the TLS session cache */
    /* 7 TRANSFER COMPLETE and M Download survive until the TransferCompleteResponse */
    h->events = (uint8_t)((h->events & (HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD)) | HNB_CWMP_EV_BOOT);
    leave_service(f, i);
    hnb_fleet_set_state(f, i, HNB_S_BOOTING);
    schedule_boot(f, i, now + delay + sample(f, f->boot_time, f->s_boot, i));
}

/* Secure boot has checked the active image (TS 33.320 §6.1: before the HNB connects anywhere). */
static void on_boot(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    uint32_t i = ev->entity;
    Hnb *h = &f->hnb[i];
    gboolean ab = f->layout == HNB_LAYOUT_AB || f->layout == HNB_LAYOUT_AB_GOLDEN;
    gboolean golden = f->layout == HNB_LAYOUT_GOLDEN || f->layout == HNB_LAYOUT_AB_GOLDEN;
    gboolean verified = hnb_acs_image_join(f, HNB_ARG_PAYLOAD(ev->arg)); /* joined even by a stale attempt */
    if (HNB_ARG_GEN(ev->arg) != h->gen)
        return;
    if (verified) {
        h->boot_tries = 0;
        h->flags &= (uint8_t)~(HNB_F_ON_GOLDEN | HNB_F_NEEDS_IMAGE);
        enter_service(f, i);
        /* the boot Inform, after the optional random boot delay that spares the ACS after a power failure */
        HnbTime d = sample(f, f->boot_delay, f->s_boot, i);
        h->timer = hnb_sim_schedule(sim, ev->time + d, f->k_retry, i, HNB_ARG(h->gen, 0));
        hnb_acs_tls_prefetch(f, i, ev->time + d);
        return;
    }
    if (ab && ++h->boot_tries < 3) { /* the boot counter: try the same bank again */
        schedule_boot(f, i, ev->time + sample(f, f->boot_time, f->s_boot, i));
        return;
    }
    if (ab && h->boot_tries == 3) { /* fall back to the other bank, once */
        h->boot_tries = 4;
        h->images ^= HNB_IMG_ON_B;
        if (active_ok(h)) {
            schedule_boot(f, i, ev->time + sample(f, f->boot_time, f->s_boot, i));
            return;
        }
    }
    if (golden) {
        h->flags |= HNB_F_ON_GOLDEN | HNB_F_NEEDS_IMAGE;
        hnb_fleet_set_state(f, i, HNB_S_GOLDEN);
        open_session(f, i);
        return;
    }
    hnb_fleet_set_state(f, i, HNB_S_BRICKED);
    f->bricked_total++;
    if (f->field)
        hnb_field_request(f->field, i);
}

void hnb_fleet_field_repaired(HnbSim *sim, uint32_t i, void *fleet)
{
    Fleet *f = fleet;
    Hnb *h = &f->hnb[i];
    (void)sim;
    if (h->state != HNB_S_BRICKED)
        return;
    h->images |= HNB_IMG_A_OK | HNB_IMG_B_OK; /* the technician or the depot reflashes every bank */
    h->boot_tries = 0;
    hnb_fleet_reboot(f, i, 0);
}

/* Download bookkeeping: one kernel event stands for the earliest completion; re-aim it after every change. */
static void aim_download_event(Fleet *f)
{
    HnbTime when;
    uint32_t id;
    if (f->dl_event)
        hnb_sim_cancel(f->sim, f->dl_event);
    f->dl_event = 0;
    double rate = hnb_downloads_rate(f->dl);
    if (rate > f->dl_peak_bps)
        f->dl_peak_bps = rate;
    if (hnb_downloads_next(f->dl, hnb_sim_now(f->sim), &when, &id))
        f->dl_event = hnb_sim_schedule(f->sim, when, f->k_dl_next, id, 0);
}

static void start_download(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    HnbTime now = hnb_sim_now(f->sim);
    HnbRng r = hnb_rng_at(f->s_link, i, h->draws);
    double cap = hnb_dist_sample(f->access_link, &r);
    h->draws = (uint32_t)r.counter;
    hnb_fleet_set_state(f, i, HNB_S_DOWNLOADING);
    hnb_downloads_start(f->dl, now, i, f->image_bytes, cap > 0 ? cap : 1);
    f->dl_started++;
    h->timer = hnb_sim_schedule(f->sim, now + f->dl_timeout, f->k_dl_timeout, i, HNB_ARG(h->gen, 0));
    aim_download_event(f);
}

static void retry_later(Fleet *f, uint32_t i)
{
    Hnb *h = &f->hnb[i];
    if (h->retry < 255)
        h->retry++;
    HnbTime wait = hnb_cwmp_retry_wait(&f->retry, h->retry, draw(f, f->s_retry, i));
    h->timer = hnb_sim_schedule(f->sim, hnb_sim_now(f->sim) + wait, f->k_retry, i, HNB_ARG(h->gen, 0));
    /* where the wait fell, as a multiple of its window's lower bound (computed apart from cwmp.c, so the fleet test
     * checks the model against TR-069's formula rather than against itself) */
    unsigned n = h->retry < 10 ? h->retry : 10;
    double ratio = (double)wait / ((double)f->retry.min_wait * pow(f->retry.multiplier / 1000.0, (double)n - 1));
    f->retry_ratio_min = f->retries == 0 || ratio < f->retry_ratio_min ? ratio : f->retry_ratio_min;
    f->retry_ratio_max = f->retries == 0 || ratio > f->retry_ratio_max ? ratio : f->retry_ratio_max;
    f->retries++;
    hnb_acs_tls_prefetch(f, i, hnb_sim_now(f->sim) + wait);
}

static void set_tls_fail(Fleet *f, Hnb *h, HnbHsOutcome reason)
{
    f->unmanaged[h->tls_fail]--;
    h->tls_fail = (uint8_t)reason;
    f->unmanaged[h->tls_fail]++;
}

void hnb_fleet_tls_failed(Fleet *f, uint32_t i, HnbHsOutcome reason)
{
    set_tls_fail(f, &f->hnb[i], reason);
}

void hnb_fleet_session_end(Fleet *f, uint32_t i, gboolean ok, HnbCwmpAcsAction action)
{
    Hnb *h = &f->hnb[i];
    h->flags &= (uint8_t)~HNB_F_IN_SESSION;
    if (!ok) {
        retry_later(f, i);
        return;
    }
    set_tls_fail(f, h, HNB_HS_OK); /* managed again */
    h->events = 0; /* delivered, including 7 TRANSFER COMPLETE (TransferComplete was acknowledged) */
    set_clock(f, i, 0); /* the session gave it the time */
    if (action == HNB_CWMP_ACS_DOWNLOAD) {
        /* The retry count is kept until the download completes, so that downloads failing again and again (an
         * overloaded image server) back off as sessions do, instead of returning every few seconds. */
        start_download(f, i);
        return;
    }
    h->retry = 0;
    if (h->state == HNB_S_RUNNING)
        schedule_periodic(f, i);
    else /* a golden module the ACS sent away without an image: ask again later */
        retry_later(f, i);
}

static void on_dl_next(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    uint32_t i = ev->entity;
    Hnb *h = &f->hnb[i];
    f->dl_event = 0;
    hnb_downloads_finish(f->dl, ev->time, i);
    f->dl_completed++;
    h->retry = 0;
    if (h->timer)
        hnb_sim_cancel(sim, h->timer); /* the download timeout */
    h->timer = 0;
    hnb_fleet_set_state(f, i, HNB_S_INSTALLING);
    /* the downloaded image is the H(e)MS's genuine release image: verified (for real) before it is written */
    uint64_t token = hnb_acs_image_submit(f, TRUE);
    hnb_sim_schedule(sim, ev->time + sample(f, f->install_time, f->s_boot, i) + verify_time(f, i), f->k_install, i,
                     HNB_ARG(h->gen, token));
    aim_download_event(f);
}

static void on_dl_timeout(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    uint32_t i = ev->entity;
    Hnb *h = &f->hnb[i];
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen || h->state != HNB_S_DOWNLOADING)
        return;
    h->timer = 0;
    hnb_downloads_cancel(f->dl, ev->time, i);
    f->dl_failed++;
    aim_download_event(f);
    h->flags |= HNB_F_NEEDS_IMAGE;
    hnb_fleet_set_state(f, i, (h->flags & HNB_F_ON_GOLDEN) ? HNB_S_GOLDEN : HNB_S_RUNNING);
    retry_later(f, i);
}

/* The downloaded image was verified and written to the active bank: reboot into it. */
static void on_install(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    uint32_t i = ev->entity;
    Hnb *h = &f->hnb[i];
    (void)sim;
    gboolean verified = hnb_acs_image_join(f, HNB_ARG_PAYLOAD(ev->arg));
    if (HNB_ARG_GEN(ev->arg) != h->gen)
        return;
    if (!verified) { /* TS 33.320 6.1: an image that fails its signature check is not installed */
        h->flags |= HNB_F_NEEDS_IMAGE;
        hnb_fleet_set_state(f, i, (h->flags & HNB_F_ON_GOLDEN) ? HNB_S_GOLDEN : HNB_S_RUNNING);
        retry_later(f, i);
        return;
    }
    h->images |= (h->images & HNB_IMG_ON_B) ? HNB_IMG_B_OK : HNB_IMG_A_OK;
    h->boot_tries = 0;
    h->flags &= (uint8_t)~HNB_F_NEEDS_IMAGE;
    h->events |= HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD;
    hnb_fleet_reboot(f, i, 0);
}

static void on_reboot(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != f->hnb[ev->entity].gen)
        return;
    hnb_fleet_reboot(f, ev->entity, 0);
}

/* Power: failures at exponential intervals of mean power_mtbf (the HNB's own, on the "power" stream), each lasting a
 * power_outage draw.  The local clock restarts from the last time the HNB saved (TS 33.320 clause 6.3.1 restoration
 * of power): taken here as the moment of the failure, so after an outage of d the clock is d behind until a session
 * (or NTP) corrects it. */
#define POWER_WAS_BRICKED (UINT64_C(1) << 55)
#define POWER_REGIONAL (UINT64_C(1) << 54) /* the regional outage, not the HNB's own failure process */
#define POWER_OUTAGE_MAX ((HnbTime)(POWER_REGIONAL - 1)) /* 208 days */

static void schedule_power_failure(Fleet *f, uint32_t i, HnbTime from)
{
    if (f->power_mtbf <= 0)
        return;
    double u = hnb_rng_uniform(f->s_power, i, f->hnb[i].draws++);
    HnbTime t = from + (HnbTime)fmin(hnb_exp_from_uniform((double)f->power_mtbf, u), 9e18);
    if (t <= f->duration) /* no power failure is ever cancelled: it runs whatever state the HNB is in */
        hnb_sim_schedule(f->sim, t, f->k_power_fail, i, 0);
}

static void on_power_fail(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    uint32_t i = ev->entity;
    Hnb *h = &f->hnb[i];
    gboolean regional = ev->arg == 1;
    if (regional && h->state == HNB_S_OFF)
        return; /* already without power */
    f->power_failures++;
    if (h->state == HNB_S_DOWNLOADING) {
        hnb_downloads_cancel(f->dl, ev->time, i);
        f->dl_failed++;
        aim_download_event(f);
    }
    if (h->timer)
        hnb_sim_cancel(sim, h->timer);
    h->timer = 0;
    h->gen++;
    h->flags &= (uint8_t)~HNB_F_IN_SESSION;
    hnb_acs_tls_forget(f, i);
    leave_service(f, i);
    HnbState was = (HnbState)h->state;
    hnb_fleet_set_state(f, i, HNB_S_OFF);
    HnbTime d;
    if (regional) { /* its own stream, so the HNBs' own failure processes draw the same numbers with or without it */
        HnbRng r = hnb_rng_at(f->s_region, i, 1);
        d = hnb_dist_sample_time(f->region_outage, &r);
    } else {
        HnbRng r = hnb_rng_at(f->s_power, i, h->draws);
        d = hnb_dist_sample_time(f->power_outage, &r);
        h->draws = (uint32_t)r.counter;
    }
    if (d > POWER_OUTAGE_MAX)
        d = POWER_OUTAGE_MAX;
    /* the arg carries the outage (for the clock), whether the HNB was bricked (power does not restore images) and
     * whether it was the regional outage (which does not start another failure process) */
    hnb_sim_schedule(sim, ev->time + d, f->k_power_restore, i,
                     HNB_ARG(h->gen, (uint64_t)d | (was == HNB_S_BRICKED ? POWER_WAS_BRICKED : 0) |
                                         (regional ? POWER_REGIONAL : 0)));
}

/* The clock restarts from the last time the HNB saved it: with [power] clock_save_interval S, at its own phase
 * p_i + kS (the phase is draw 1 of "hnb.phase"; draw 0 is the Inform phase); returns how long before the failure at
 * t that was. */
static HnbTime clock_lost(Fleet *f, uint32_t i, HnbTime t)
{
    HnbTime S = f->clock_save;
    if (S <= 0)
        return 0;
    HnbTime phase = (HnbTime)(hnb_rng_uniform(f->s_phase, i, 1) * (double)S);
    HnbTime since = (t - phase) % S;
    return since < 0 ? since + S : since;
}

/* Each HNB's clock rate error: uniform in +-[power] clock_drift (draw 2 of "hnb.phase"). */
static double drift_of(const Fleet *f, uint32_t i)
{
    return f->clock_drift > 0 ? (2 * hnb_rng_uniform(f->s_phase, i, 2) - 1) * f->clock_drift : 0;
}

HnbTime hnb_fleet_clock(const Fleet *f, uint32_t i, HnbTime t)
{
    const Hnb *h = &f->hnb[i];
    return t + h->clock_offset + (HnbTime)(drift_of(f, i) * (double)(t - h->clock_set));
}

/* From now on HNB i's clock reads true time + offset (and drifts from there). */
static void set_clock(Fleet *f, uint32_t i, HnbTime offset)
{
    f->hnb[i].clock_offset = offset;
    f->hnb[i].clock_set = hnb_sim_now(f->sim);
}

static void on_ntp(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) == f->hnb[ev->entity].gen)
        set_clock(f, ev->entity, 0);
}

static void on_power_restore(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Fleet *f = ud;
    uint32_t i = ev->entity;
    Hnb *h = &f->hnb[i];
    if (HNB_ARG_GEN(ev->arg) != h->gen || h->state != HNB_S_OFF)
        return;
    uint64_t payload = HNB_ARG_PAYLOAD(ev->arg);
    HnbTime d = (HnbTime)(payload & POWER_OUTAGE_MAX);
    set_clock(f, i, hnb_fleet_clock(f, i, ev->time - d) - (ev->time - d) - d - clock_lost(f, i, ev->time - d));
    if (!(payload & POWER_REGIONAL))
        schedule_power_failure(f, i, ev->time);
    if (payload & POWER_WAS_BRICKED)
        hnb_fleet_set_state(f, i, HNB_S_BRICKED);
    else
        hnb_fleet_reboot(f, i, 0); /* a new generation */
    if (f->ntp) { /* its own stream, counted by the restore time: turning NTP on shifts no other draw */
        HnbRng r = hnb_rng_at(f->s_ntp, i, (uint64_t)ev->time << 4);
        HnbTime wait = hnb_dist_sample_time(f->ntp_delay, &r);
        hnb_sim_schedule(sim, ev->time + wait, f->k_ntp, i, HNB_ARG(h->gen, 0));
    }
}

void hnb_fleet_hnb_setup(Fleet *f)
{
    f->k_inform = hnb_sim_register(f->sim, "hnb.inform", on_inform, f);
    f->k_retry = hnb_sim_register(f->sim, "hnb.retry", on_retry, f);
    f->k_boot = hnb_sim_register(f->sim, "hnb.boot", on_boot, f);
    f->k_install = hnb_sim_register(f->sim, "hnb.install", on_install, f);
    f->k_reboot = hnb_sim_register(f->sim, "hnb.reboot", on_reboot, f);
    f->k_dl_next = hnb_sim_register(f->sim, "download.done", on_dl_next, f);
    f->k_dl_timeout = hnb_sim_register(f->sim, "download.timeout", on_dl_timeout, f);
    f->k_power_fail = hnb_sim_register(f->sim, "power.fail", on_power_fail, f);
    f->k_power_restore = hnb_sim_register(f->sim, "power.restore", on_power_restore, f);
    f->k_ntp = hnb_sim_register(f->sim, "hnb.ntp", on_ntp, f);
    /* t = 0 is a steady state: every HNB runs a genuine image and informs at its own phase */
    uint8_t images = HNB_IMG_A_OK | ((f->layout == HNB_LAYOUT_AB || f->layout == HNB_LAYOUT_AB_GOLDEN) ? HNB_IMG_B_OK : 0);
    f->count[HNB_S_RUNNING] = f->n;
    for (uint32_t i = 0; i < f->n; i++) {
        Hnb *h = &f->hnb[i];
        *h = (Hnb){.down_since = -1, .images = images, .state = HNB_S_RUNNING};
        schedule_periodic(f, i);
        schedule_power_failure(f, i, 0);
        if (f->region_at > 0 && hnb_rng_uniform(f->s_region, i, 0) < f->region_fraction)
            hnb_sim_schedule(f->sim, f->region_at, f->k_power_fail, i, 1);
    }
    f->unmanaged[HNB_HS_OK] = f->n;
}
