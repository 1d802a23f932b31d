/* models/hnb.c — one HNB's life: boot, secure boot, running with periodic Informs, CWMP sessions, image download,
 * install, reboot; the failure paths of each image layout (power loss and clocks: hnb_power.c).
 *
 * Layouts (the seed's first doubt): `single` — one writable release image: a rewritten image leaves nothing to boot,
 * the HNB is bricked until the field restores it.  `golden` — plus a read-only initial module that can only reach the
 * H(e)MS and download the release image.  `ab` — two writable banks: verified boot fails over to the other bank as
 * soon as the active bank's signature check fails (see on_boot).  `ab+golden` — both.
 *
 * Streams: "hnb.phase" (entity i, draw 0) fixes each HNB's PeriodicInformTime phase; "hnb.boot" the boot and install
 * times; "cwmp.boot_delay" the wait before every boot Inform; "cwmp.retry" the retry waits; "download.link" access
 * links; the ACS draws its service times on "acs.service" through its client table.  Draw counters are per HNB (Hnb.draws, shared by all of them), so one HNB's extra retries
 * never shift another's numbers.
 *
 * The other parts are reached through HnbPopulationParts and reach back through the tables at the end of this file.
 */
#include "models/hnb_private.h"

#include <math.h>


static inline double draw(HnbPopulation *pop, HnbStream s, uint32_t i)
{
    return hnb_rng_uniform(s, i, pop->hnb[i].draws++);
}

static inline HnbTime sample(HnbPopulation *pop, const HnbDist *d, HnbStream s, uint32_t i)
{
    HnbRng r = hnb_rng_at(s, i, pop->hnb[i].draws);
    HnbTime t = hnb_dist_sample_time(d, &r);
    pop->hnb[i].draws = (uint32_t)r.counter;
    return t;
}

void hnb_pop_leave_service(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    if (h->down_since < 0) {
        h->down_since = hnb_sim_now(pop->sim);
        if (hnb_active_fixed(h)) /* the images of an HNB in service change only after it left (on_install) */
            pop->st.on_fix--;
    }
}

static void enter_service(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    HnbTime now = hnb_sim_now(pop->sim);
    if (h->down_since >= 0) {
        pop->st.down_ns_total += (double)(now - h->down_since);
        if (h->flags & HNB_F_AFFECTED) {
            hnb_tally_add(&pop->st.recover_h, hnb_time_to_sec(now - h->down_since) / 3600.0);
            hnb_survival_add(&pop->st.recover_km, hnb_time_to_sec(now - h->down_since) / 3600.0, TRUE);
            pop->st.recovered++;
            pop->st.last_recovery = now;
            h->flags &= (uint8_t)~HNB_F_AFFECTED;
        }
        h->down_since = -1;
        if (hnb_active_fixed(h) && ++pop->st.on_fix == pop->p.n && pop->st.all_on_fix == HNB_TIME_NEVER)
            pop->st.all_on_fix = now;
    }
    gboolean back = h->state != HNB_S_RUNNING;
    hnb_pop_set_state(pop, i, HNB_S_RUNNING);
    if (back && pop->st.count[HNB_S_RUNNING] == pop->p.n)
        pop->st.all_running_at = now;
}

static gboolean plain_http(const HnbPopulation *pop, const Hnb *h)
{
    return (h->flags & HNB_F_ON_GOLDEN) && !pop->p.golden_tls;
}

/* It authenticates with its recovery certificate (to the SeGW and over TLS), not its device certificate. */
static gboolean recovery_cert(const HnbPopulation *pop, const Hnb *h)
{
    return (h->flags & HNB_F_ON_GOLDEN) && pop->p.golden_cred == HNB_GOLDEN_CRED_RECOVERY;
}

/* HNB i will open a session at `at`: its handshake can run in the pool meanwhile (acs_tls.h). */
static void prefetch(HnbPopulation *pop, uint32_t i, HnbTime at)
{
    const Hnb *h = &pop->hnb[i];
    if (!hnb_hems_tls_runs_ahead(&pop->parts.hems) || plain_http(pop, h))
        return; /* plain HTTP: no handshake */
    hnb_hems_tls_prefetch(&pop->parts.hems, i, at, hnb_population_clock(pop, i, at), h->tls_session != 0,
                         recovery_cert(pop, h));
}

void hnb_pop_forget_tls(HnbPopulation *pop, uint32_t i)
{
    hnb_hems_tls_forget(&pop->parts.hems, i);
    pop->hnb[i].tls_session = 0;
}

/* The next PeriodicInformTime of HNB i after now: phase_i + k * interval. */
static HnbTime next_periodic(HnbPopulation *pop, uint32_t i)
{
    HnbTime now = hnb_sim_now(pop->sim), iv = pop->p.inform_interval;
    HnbTime phase = (HnbTime)(hnb_rng_uniform(pop->s.phase, i, 0) * (double)iv);
    HnbTime k = now >= phase ? (now - phase) / iv + 1 : 0;
    return phase + k * iv;
}

static void schedule_periodic(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    HnbTime at = next_periodic(pop, i);
    h->timer = hnb_sim_schedule(pop->sim, at, pop->k_inform, i, HNB_ARG(h->gen, 0));
    prefetch(pop, i, at);
}

void hnb_pop_open_session(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    h->timer = 0;
    h->flags |= HNB_F_IN_SESSION;
    hnb_hems_connect(&pop->parts.hems, i);
}

static void on_inform(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    Hnb *h = &pop->hnb[ev->entity];
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen || (h->flags & HNB_F_IN_SESSION))
        return;
    h->events |= HNB_CWMP_EV_PERIODIC;
    hnb_pop_open_session(pop, ev->entity);
}

static void on_retry(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    Hnb *h = &pop->hnb[ev->entity];
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen || (h->flags & HNB_F_IN_SESSION))
        return;
    hnb_pop_open_session(pop, ev->entity);
}

static gboolean has_ab(const HnbPopulation *pop)
{
    return pop->p.layout == HNB_LAYOUT_AB || pop->p.layout == HNB_LAYOUT_AB_GOLDEN;
}

static gboolean active_ok(const Hnb *h)
{
    return (h->images & ((h->images & HNB_IMG_ON_B) ? HNB_IMG_B_OK : HNB_IMG_A_OK)) != 0;
}

/* The HNB's CPU time for one image signature check ([hnb] image_verify_time).  A zero time draws nothing, so the
 * random streams, and with them the results, are those of a model without the key. */
static HnbTime verify_time(HnbPopulation *pop, uint32_t i)
{
    return pop->p.image_verify ? sample(pop, pop->p.image_verify, pop->s.boot, i) : 0;
}

/* A boot attempt ending at `at`: secure boot verifies the active bank's image (a real signature check in the pool,
 * joined when the attempt ends); the check's token rides in the event. */
static void schedule_boot(HnbPopulation *pop, uint32_t i, HnbTime at)
{
    Hnb *h = &pop->hnb[i];
    at += verify_time(pop, i);
    uint64_t token = hnb_secure_boot_submit(pop->parts.boot, active_ok(h));
    hnb_sim_schedule(pop->sim, at, pop->k_boot, i, HNB_ARG(h->gen, token));
    prefetch(pop, i, at); /* its first session after the boot (release image or golden module) */
}

void hnb_pop_cut_download(HnbPopulation *pop, uint32_t i)
{
    if (hnb_hems_image_restart(&pop->parts.hems, i)) /* TransferComplete with fault 9010 after the boot */
        pop->hnb[i].events |= HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD;
    pop->hnb[i].flags &= (uint8_t)~HNB_F_UPDATING; /* a background update, downloading or installing, is lost */
}

void hnb_pop_reboot(HnbPopulation *pop, uint32_t i, HnbTime delay)
{
    Hnb *h = &pop->hnb[i];
    HnbTime now = hnb_sim_now(pop->sim);
    hnb_pop_cut_download(pop, i);
    if (h->timer)
        hnb_sim_cancel(pop->sim, h->timer);
    h->timer = 0;
    h->gen++; /* whatever this life still had pending (a session at the ACS, a timer) is now stale */
    hnb_hems_lost(&pop->parts.hems, i); /* and a real H(e)MS's connections with it */
    if (h->flags & HNB_F_COMPROMISED) { /* the rewritten image takes effect now */
        h->flags = (uint8_t)((h->flags & ~HNB_F_COMPROMISED) | HNB_F_AFFECTED);
        pop->st.compromised_now--;
        pop->st.affected++;
        if (!(h->flags & HNB_F_EVER_AFFECTED)) {
            h->flags |= HNB_F_EVER_AFFECTED;
            pop->st.affected_hnbs++;
        }
    }
    h->flags &= (uint8_t)~HNB_F_IN_SESSION;
    h->retry = 0;
    h->boot_tries = 0; /* a new boot checks the active bank first */
    hnb_pop_forget_tls(pop, i);
    hnb_pop_tunnel_lost(pop, i);
    /* 7 TRANSFER COMPLETE and M Download survive until the TransferCompleteResponse */
    h->events = (uint8_t)((h->events & (HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD)) | HNB_CWMP_EV_BOOT);
    hnb_pop_leave_service(pop, i);
    hnb_pop_set_state(pop, i, HNB_S_BOOTING);
    schedule_boot(pop, i, now + delay + sample(pop, pop->p.boot_time, pop->s.boot, i));
}

/* The boot Inform, after the random [cwmp] boot_delay that spares the ACS the boot storm of a power failure or a mass
 * reboot: every boot waits it, the golden module's as much as a release image's (both are the same CWMP client). */
static void schedule_boot_inform(HnbPopulation *pop, uint32_t i, HnbTime booted)
{
    Hnb *h = &pop->hnb[i];
    HnbTime at = booted + sample(pop, pop->p.boot_delay, pop->s.boot_delay, i);
    h->timer = hnb_sim_schedule(pop->sim, at, pop->k_retry, i, HNB_ARG(h->gen, 0));
    prefetch(pop, i, at);
}

/* Can HNB i's golden module reach the H(e)MS?  Not without a credential ([golden] credential = none) when the path
 * needs one: the SeGW's IKEv2 authentication (TS 33.320 clause 7.3), or TLS, whose profile (clause 8.3.4)
 * authenticates the HNB by its certificate.  Only plain HTTP on the open internet ([golden] tls = false, reach =
 * internet: run only under [tls] profile = custom) needs none. */
static gboolean golden_can_reach(const HnbPopulation *pop)
{
    return pop->p.golden_cred != HNB_GOLDEN_CRED_NONE || (!pop->parts.segw && !pop->p.golden_tls);
}

/* HNB i begins a tunnel set-up now (after a boot, or to retry). */
static void tunnel_connect(HnbPopulation *pop, uint32_t i)
{
    hnb_pop_set_tunnel(pop, i, HNB_TUN_SETUP);
    hnb_segw_connect(pop->parts.segw, i);
}

/* A golden module that cannot reach the H(e)MS: as good as a brick, and sent to the field as one (the operator sees
 * the HNB missing as it sees a bricked one); counted apart (golden_stranded), so the results show it. */
static void stranded(HnbPopulation *pop, uint32_t i)
{
    hnb_pop_set_tunnel(pop, i, HNB_TUN_NO_CREDENTIAL);
    hnb_pop_set_state(pop, i, HNB_S_BRICKED);
    pop->st.golden_stranded++;
    if (pop->parts.field)
        hnb_field_request(pop->parts.field, i);
}

/* A verified image runs (the release image, or the golden module): without a SeGW the release image is in service and
 * both send their boot Inform; with one (TS 33.320 clause 7) the HNB first sets up its IKEv2 tunnel — the release
 * image with its device key, the golden module with what [golden] credential gives it (the device key, which the TrE
 * releases to it as to any image whose integrity check succeeded, TS 33.320 clause 6.1; or its recovery certificate)
 * — and tunnel_up does the rest. */
static void booted(HnbPopulation *pop, uint32_t i, HnbTime now)
{
    if ((pop->hnb[i].flags & HNB_F_ON_GOLDEN) && !golden_can_reach(pop)) {
        stranded(pop, i);
        return;
    }
    if (pop->parts.segw) {
        tunnel_connect(pop, i);
        return;
    }
    if (!(pop->hnb[i].flags & HNB_F_ON_GOLDEN))
        enter_service(pop, i);
    schedule_boot_inform(pop, i, now);
}

/* Secure boot has checked the active image (TS 33.320 §6.1: device integrity is checked at boot, before the HNB
 * connects anywhere; an image that fails it never gets the TrE's device key, so it cannot reach the operator).
 *
 * Verified boot, as a consequence: a signature check is deterministic, so booting the same image again fails again.
 * An A/B HNB whose active bank fails its check fails over to the other bank at once (its bootloader verifies that one
 * next, one more check, no second boot); only both banks failing leaves the golden module or the field.  A boot
 * counter (RAUC, Android A/B: 3 tries) is for an image that verifies but crashes; this model has no such image (the
 * attacker's rewrite is what fails), so it has no counter.  Hnb.boot_tries counts the banks that failed in this boot. */
static void on_boot(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    uint32_t i = ev->entity;
    Hnb *h = &pop->hnb[i];
    gboolean golden = hnb_layout_has_golden(pop->p.layout);
    gboolean verified = hnb_secure_boot_join(pop->parts.boot, HNB_ARG_PAYLOAD(ev->arg)); /* joined even by a stale attempt */
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen)
        return;
    if (verified) {
        h->flags &= (uint8_t)~(HNB_F_ON_GOLDEN | HNB_F_NEEDS_IMAGE);
        booted(pop, i, ev->time);
        return;
    }
    if (has_ab(pop) && h->boot_tries++ == 0) { /* fail over: the other bank's check, right after this one */
        h->images ^= HNB_IMG_ON_B;
        schedule_boot(pop, i, ev->time);
        return;
    }
    if (golden) {
        h->flags |= HNB_F_ON_GOLDEN | HNB_F_NEEDS_IMAGE;
        hnb_pop_set_state(pop, i, HNB_S_GOLDEN);
        booted(pop, i, ev->time);
        return;
    }
    hnb_pop_set_state(pop, i, HNB_S_BRICKED);
    pop->st.bricked_total++;
    if (pop->parts.field)
        hnb_field_request(pop->parts.field, i);
}

void hnb_population_repaired(HnbSim *sim, uint32_t i, void *ctx)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    (void)sim;
    if (h->state != HNB_S_BRICKED)
        return;
    h->images |= HNB_IMG_A_OK | HNB_IMG_B_OK; /* the technician or the depot reflashes every bank */
    h->images &= (uint8_t)~(HNB_IMG_A_FIXED | HNB_IMG_B_FIXED); /* with what the operator ships now */
    if (hnb_pop_published(pop, i))
        h->images |= HNB_IMG_A_FIXED | HNB_IMG_B_FIXED;
    h->boot_tries = 0;
    hnb_pop_reboot(pop, i, 0);
}

static void start_download(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    HnbTime now = hnb_sim_now(pop->sim);
    HnbRng r = hnb_rng_at(pop->s.link, i, h->draws);
    double cap = hnb_dist_sample(pop->p.access_link, &r);
    h->draws = (uint32_t)r.counter;
    h->flags &= (uint8_t)~HNB_F_DL_FIXED;
    if (hnb_pop_published(pop, i)) { /* what the H(e)MS ships now */
        h->flags |= HNB_F_DL_FIXED;
        pop->st.fix_downloads++;
    } else {
        pop->st.release_downloads++;
    }
    if (h->state == HNB_S_RUNNING && h->down_since < 0)
        h->flags |= HNB_F_UPDATING; /* in service: the update runs in the background */
    else
        hnb_pop_set_state(pop, i, HNB_S_DOWNLOADING);
    h->timer = hnb_sim_schedule(pop->sim, now + pop->p.dl_timeout, pop->k_dl_timeout, i, HNB_ARG(h->gen, 0));
    hnb_hems_image_start(&pop->parts.hems, i, cap > 0 ? cap : 1);
}

static void retry_later(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    if (h->retry < 255)
        h->retry++;
    HnbTime wait = hnb_cwmp_retry_wait(&pop->p.retry, h->retry, draw(pop, pop->s.retry, i));
    h->timer = hnb_sim_schedule(pop->sim, hnb_sim_now(pop->sim) + wait, pop->k_retry, i, HNB_ARG(h->gen, 0));
    /* where the wait fell, as a multiple of its window's lower bound (computed apart from cwmp.c, so the fleet test
     * checks the model against TR-069's formula rather than against itself) */
    unsigned n = h->retry < 10 ? h->retry : 10;
    const HnbCwmpRetry *rp = &pop->p.retry;
    double ratio = (double)wait / ((double)rp->min_wait * pow(rp->multiplier / 1000.0, (double)n - 1));
    HnbPopulationStats *st = &pop->st;
    st->retry_ratio_min = st->retries == 0 || ratio < st->retry_ratio_min ? ratio : st->retry_ratio_min;
    st->retry_ratio_max = st->retries == 0 || ratio > st->retry_ratio_max ? ratio : st->retry_ratio_max;
    st->retries++;
    prefetch(pop, i, hnb_sim_now(pop->sim) + wait);
}

static void set_tls_fail(HnbPopulation *pop, Hnb *h, HnbHsOutcome reason)
{
    pop->st.unmanaged[h->tls_fail]--;
    h->tls_fail = (uint8_t)reason;
    pop->st.unmanaged[h->tls_fail]++;
}

/* The ACS ended HNB i's session (HnbAcsClient.session_end). */
static void session_end(void *ctx, uint32_t i, gboolean ok, HnbCwmpAcsAction action)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    h->flags &= (uint8_t)~HNB_F_IN_SESSION;
    if (!ok) {
        retry_later(pop, i);
        return;
    }
    set_tls_fail(pop, h, HNB_HS_OK); /* managed again */
    h->events = 0; /* delivered, including 7 TRANSFER COMPLETE (TransferComplete was acknowledged) */
    hnb_power_set_clock(pop, i, 0); /* the session gave it the time */
    if (action == HNB_CWMP_ACS_DOWNLOAD) {
        /* The retry count is kept until the download completes, so that downloads failing again and again (an
         * overloaded image server) back off as sessions do, instead of returning every few seconds. */
        if (hnb_hems_image_request(&pop->parts.hems, i)) {
            start_download(pop, i);
            return;
        }
        /* queued by the campaign: the H(e)MS calls it back (image_granted), so a golden module waits without
         * polling; an HNB in service keeps its periodic Informs */
        if (h->state == HNB_S_RUNNING)
            schedule_periodic(pop, i);
        return;
    }
    if (h->state == HNB_S_RUNNING) {
        h->retry = 0;
        schedule_periodic(pop, i);
    } else { /* a golden module the H(e)MS sent away without an image (none published yet): it polls per its retry
              * policy, backing off as after a failed session (TR-069 3.2.1.1), up to the largest window */
        retry_later(pop, i);
    }
}

/* The image server delivered HNB i's image: it is verified (secure boot's check) and written. */
static void image_done(void *ctx, uint32_t i)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    HnbTime now = hnb_sim_now(pop->sim);
    h->retry = 0;
    if (h->timer)
        hnb_sim_cancel(pop->sim, h->timer); /* the download timeout */
    h->timer = 0;
    if (!(h->flags & HNB_F_UPDATING)) /* a background update keeps serving while it installs */
        hnb_pop_set_state(pop, i, HNB_S_INSTALLING);
    /* the downloaded image is the H(e)MS's genuine image: verified (for real) before it is written */
    uint64_t token = hnb_secure_boot_submit(pop->parts.boot, TRUE);
    hnb_sim_schedule(pop->sim, now + sample(pop, pop->p.install_time, pop->s.boot, i) + verify_time(pop, i),
                     pop->k_install, i, HNB_ARG(h->gen, token));
}

/* A download or install failed: an HNB without an image needs one again; an HNB in service keeps serving (and the
 * H(e)MS still wants it on the fix).  Either asks again per the retry policy. */
static void update_failed(HnbPopulation *pop, uint32_t i)
{
    Hnb *h = &pop->hnb[i];
    if (h->flags & HNB_F_UPDATING) {
        h->flags &= (uint8_t)~HNB_F_UPDATING;
    } else {
        h->flags |= HNB_F_NEEDS_IMAGE;
        hnb_pop_set_state(pop, i, (h->flags & HNB_F_ON_GOLDEN) ? HNB_S_GOLDEN : HNB_S_RUNNING);
    }
    retry_later(pop, i);
}

/* HNB i's download is over without its image: its next session reports TransferComplete with a fault, and the
 * H(e)MS answers with the Download again. */
static void download_cut(HnbPopulation *pop, uint32_t i)
{
    hnb_hems_image_cancel(&pop->parts.hems, i);
    pop->hnb[i].events |= HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD;
    update_failed(pop, i);
}

static void on_dl_timeout(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    uint32_t i = ev->entity;
    Hnb *h = &pop->hnb[i];
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != h->gen || (h->state != HNB_S_DOWNLOADING && !(h->flags & HNB_F_UPDATING)))
        return;
    h->timer = 0;
    download_cut(pop, i);
}

/* A real H(e)MS's transfer failed (HnbImageServerClient.failed: cut, refused, or a manifest that does not verify —
 * fault 9010 or 9017, which its implementation reports in the next TransferComplete): as the HNB's own timeout. */
static void image_failed(void *ctx, uint32_t i, HnbDlFault fault)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    (void)fault;
    if (h->state != HNB_S_DOWNLOADING && !(h->flags & HNB_F_UPDATING))
        return;
    if (h->timer)
        hnb_sim_cancel(pop->sim, h->timer); /* the download timeout */
    h->timer = 0;
    download_cut(pop, i);
}

/* The downloaded image was verified and written to the active bank: reboot into it. */
static void on_install(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    uint32_t i = ev->entity;
    Hnb *h = &pop->hnb[i];
    (void)sim;
    gboolean verified = hnb_secure_boot_join(pop->parts.boot, HNB_ARG_PAYLOAD(ev->arg));
    if (HNB_ARG_GEN(ev->arg) != h->gen)
        return;
    if (!verified) { /* TS 33.320 6.1: an image that fails its signature check is not installed */
        update_failed(pop, i);
        return;
    }
    hnb_pop_leave_service(pop, i); /* before its images change: it reboots into the new one below */
    gboolean on_b = (h->images & HNB_IMG_ON_B) != 0;
    uint8_t fixed = on_b ? HNB_IMG_B_FIXED : HNB_IMG_A_FIXED;
    h->images |= on_b ? HNB_IMG_B_OK : HNB_IMG_A_OK;
    h->images = (uint8_t)((h->flags & HNB_F_DL_FIXED) ? (h->images | fixed) : (h->images & ~fixed));
    if (h->flags & HNB_F_COMPROMISED) { /* the rewritten image it was still running is overwritten */
        h->flags &= (uint8_t)~HNB_F_COMPROMISED;
        pop->st.compromised_now--;
    }
    h->boot_tries = 0;
    h->flags &= (uint8_t)~(HNB_F_NEEDS_IMAGE | HNB_F_UPDATING);
    h->events |= HNB_CWMP_EV_TRANSFER_COMPLETE | HNB_CWMP_EV_M_DOWNLOAD;
    hnb_pop_reboot(pop, i, 0);
}

static void on_reboot(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != pop->hnb[ev->entity].gen)
        return;
    hnb_pop_reboot(pop, ev->entity, 0);
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* What the other parts see */

static HnbAcsPeer acs_peer(void *ctx, uint32_t i)
{
    const HnbPopulation *pop = ctx;
    const Hnb *h = &pop->hnb[i];
    return (HnbAcsPeer){
        .gen = h->gen,
        .plain_http = plain_http(pop, h),
        .recovery = recovery_cert(pop, h),
        .has_session = h->tls_session != 0,
        .needs_image = hnb_fix_wants_image(pop, i),
        .events = h->events,
    };
}

static HnbTime acs_sample(void *ctx, uint32_t i, const HnbDist *d, HnbStream stream)
{
    return sample(ctx, d, stream, i);
}

static HnbTime acs_clock(void *ctx, uint32_t i, HnbTime t)
{
    return hnb_population_clock(ctx, i, t);
}

/* Its TLS handshake failed: it is out of management until a session succeeds. */
static void acs_tls_failed(void *ctx, uint32_t i, HnbHsOutcome reason)
{
    HnbPopulation *pop = ctx;
    set_tls_fail(pop, &pop->hnb[i], reason);
}

static void acs_tls_kept(void *ctx, uint32_t i)
{
    HnbPopulation *pop = ctx;
    pop->hnb[i].tls_session = 1;
}

const HnbAcsClient hnb_population_acs_client = {
    .peer = acs_peer,
    .sample = acs_sample,
    .clock = acs_clock,
    .tls_failed = acs_tls_failed,
    .tls_kept = acs_tls_kept,
    .session_end = session_end,
};

/* The attacker reaches the OS of a running release image only. */
static gboolean attack_rewrite(void *ctx, uint32_t i, HnbAttackBanks banks)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    if (h->state != HNB_S_RUNNING || (h->flags & (HNB_F_COMPROMISED | HNB_F_ON_GOLDEN)) || hnb_active_fixed(h))
        return FALSE; /* the hole is in the release image's OS: a fixed image closes it */
    if (banks == HNB_ATTACK_BANKS_ALL)
        h->images &= (uint8_t)~(HNB_IMG_A_OK | HNB_IMG_B_OK | HNB_IMG_A_FIXED | HNB_IMG_B_FIXED);
    else
        h->images &= (uint8_t)~((h->images & HNB_IMG_ON_B) ? HNB_IMG_B_OK : HNB_IMG_A_OK);
    h->flags |= HNB_F_COMPROMISED;
    pop->st.compromised_now++;
    return TRUE;
}

static void attack_reboot_in(void *ctx, uint32_t i, HnbTime delay)
{
    HnbPopulation *pop = ctx;
    hnb_sim_schedule(pop->sim, hnb_sim_now(pop->sim) + delay, pop->k_reboot, i, HNB_ARG(pop->hnb[i].gen, 0));
}

/* A slot of the campaign is HNB i's (it waits in the golden module, or in service): the H(e)MS sends a Connection
 * Request (TR-069 3.2.2) and the HNB opens a session at once, which brings the Download.  A session already under
 * way brings it (the HNB still needs the image: the ACS asks for it). */
static void image_granted(void *ctx, uint32_t i)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    g_return_if_fail(h->state == HNB_S_GOLDEN || h->state == HNB_S_RUNNING); /* a restart leaves the queue */
    if (h->flags & HNB_F_IN_SESSION)
        return;
    if (h->timer)
        hnb_sim_cancel(pop->sim, h->timer);
    h->events |= HNB_CWMP_EV_CONNECTION_REQUEST;
    hnb_pop_open_session(pop, i);
}

const HnbImageServerClient hnb_population_image_client = {.granted = image_granted, .done = image_done,
                                                          .failed = image_failed};

static uint8_t segw_gen(void *ctx, uint32_t i)
{
    return ((HnbPopulation *)ctx)->hnb[i].gen;
}

static gboolean segw_recovery(void *ctx, uint32_t i)
{
    HnbPopulation *pop = ctx;
    return recovery_cert(pop, &pop->hnb[i]);
}

/* Its tunnel is up: a release image is in service from now on; either image sends its boot Inform through it. */
static void segw_tunnel_up(void *ctx, uint32_t i)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    HnbTime now = hnb_sim_now(pop->sim);
    g_return_if_fail(h->state == HNB_S_BOOTING || h->state == HNB_S_GOLDEN);
    h->retry = 0; /* the IKE client's count: CWMP's starts from 0 (see Hnb.retry) */
    hnb_pop_set_tunnel(pop, i, HNB_TUN_UP);
    if (!(h->flags & HNB_F_ON_GOLDEN))
        enter_service(pop, i);
    schedule_boot_inform(pop, i, now);
}

/* Its set-up was dropped or refused: the IKE client tries again after its back-off ([segw] retry_*), whatever the
 * reason — a clock before the SeGW certificate stays wrong until NTP corrects it, a revoked certificate for ever. */
static void segw_tunnel_failed(void *ctx, uint32_t i, HnbSegwFailure why, HnbTlsReason reason)
{
    HnbPopulation *pop = ctx;
    Hnb *h = &pop->hnb[i];
    (void)reason; /* counted by the SeGW part */
    hnb_pop_set_tunnel(pop, i, why == HNB_SEGW_DROPPED ? HNB_TUN_DROPPED : HNB_TUN_REFUSED);
    if (h->retry < 255)
        h->retry++;
    HnbTime wait = hnb_cwmp_retry_wait(&pop->p.ike_retry, h->retry, draw(pop, pop->s.ike_retry, i));
    h->timer = hnb_sim_schedule(pop->sim, hnb_sim_now(pop->sim) + wait, pop->k_ike_retry, i, HNB_ARG(h->gen, 0));
    pop->st.ike_retries++;
}

static void on_ike_retry(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    HnbPopulation *pop = ud;
    (void)sim;
    if (HNB_ARG_GEN(ev->arg) != pop->hnb[ev->entity].gen)
        return;
    pop->hnb[ev->entity].timer = 0;
    tunnel_connect(pop, ev->entity);
}

const HnbSegwClient hnb_population_segw_client = {
    .gen = segw_gen,
    .recovery = segw_recovery,
    .sample = acs_sample,
    .tunnel_up = segw_tunnel_up,
    .tunnel_failed = segw_tunnel_failed,
    .clock = acs_clock,
};

const HnbAttackTarget hnb_population_attack_target = {.rewrite = attack_rewrite, .reboot_in = attack_reboot_in};

const HnbPopulationStats *hnb_population_stats(const HnbPopulation *pop)
{
    return &pop->st;
}

void hnb_population_censor(HnbPopulation *pop, HnbTime end)
{
    for (uint32_t i = 0; i < pop->p.n; i++) {
        const Hnb *h = &pop->hnb[i];
        if ((h->flags & HNB_F_AFFECTED) && h->down_since >= 0)
            hnb_survival_add(&pop->st.recover_km, hnb_time_to_sec(end - h->down_since) / 3600.0, FALSE);
    }
    hnb_survival_sort(&pop->st.recover_km);
}

double hnb_population_downtime_ns(const HnbPopulation *pop, HnbTime end)
{
    double ns = pop->st.down_ns_total;
    for (uint32_t i = 0; i < pop->p.n; i++) /* still down at the end */
        if (pop->hnb[i].down_since >= 0)
            ns += (double)(end - pop->hnb[i].down_since);
    return ns;
}

/* ---------------------------------------------------------------------------------------------------------------- */

HnbPopulation *hnb_population_new(HnbSim *sim, const HnbPopulationParams *p, uint64_t seed, guint rep,
                                  HnbTime duration)
{
    g_return_val_if_fail(sim != NULL && p != NULL, NULL);
    HnbPopulation *pop = g_new0(HnbPopulation, 1);
    pop->sim = sim;
    pop->p = *p;
    pop->duration = duration;
    pop->s.phase = hnb_stream(seed, rep, "hnb.phase");
    pop->s.boot = hnb_stream(seed, rep, "hnb.boot");
    pop->s.boot_delay = hnb_stream(seed, rep, "cwmp.boot_delay");
    pop->s.retry = hnb_stream(seed, rep, "cwmp.retry");
    pop->s.link = hnb_stream(seed, rep, "download.link");
    pop->s.power = hnb_stream(seed, rep, "power");
    pop->s.region = hnb_stream(seed, rep, "power.region");
    pop->s.ntp = hnb_stream(seed, rep, "hnb.ntp");
    pop->s.ike_retry = hnb_stream(seed, rep, "segw.retry");
    pop->hnb = g_new(Hnb, p->n);
    hnb_power_clocks_init(pop);
    hnb_tally_init(&pop->st.recover_h);
    hnb_survival_init(&pop->st.recover_km);
    pop->k_inform = hnb_sim_register(sim, "hnb.inform", on_inform, pop);
    pop->k_retry = hnb_sim_register(sim, "hnb.retry", on_retry, pop);
    pop->k_boot = hnb_sim_register(sim, "hnb.boot", on_boot, pop);
    pop->k_install = hnb_sim_register(sim, "hnb.install", on_install, pop);
    pop->k_reboot = hnb_sim_register(sim, "hnb.reboot", on_reboot, pop);
    pop->k_dl_timeout = hnb_sim_register(sim, "download.timeout", on_dl_timeout, pop);
    hnb_power_register(pop);
    pop->k_ike_retry = hnb_sim_register(sim, "segw.retry", on_ike_retry, pop);
    hnb_fix_register(pop);
    pop->st.all_on_fix = HNB_TIME_NEVER;
    pop->st.region_restored_at = pop->st.all_running_at = HNB_TIME_NEVER;
    return pop;
}

void hnb_population_start(HnbPopulation *pop, const HnbPopulationParts *parts)
{
    pop->parts = *parts;
    /* t = 0 is a steady state: every HNB runs a genuine image and informs at its own phase */
    uint8_t images = HNB_IMG_A_OK | (has_ab(pop) ? HNB_IMG_B_OK : 0);
    pop->st.count[HNB_S_RUNNING] = pop->p.n;
    for (uint32_t i = 0; i < pop->p.n; i++) {
        Hnb *h = &pop->hnb[i];
        *h = (Hnb){.down_since = -1, .images = images, .state = HNB_S_RUNNING};
        schedule_periodic(pop, i);
        hnb_power_schedule_failure(pop, i, 0);
        if (pop->p.region_at > 0 && hnb_rng_uniform(pop->s.region, i, 0) < pop->p.region_fraction)
            hnb_sim_schedule(pop->sim, pop->p.region_at, pop->k_power_fail, i, 1);
    }
    pop->st.unmanaged[HNB_HS_OK] = pop->p.n;
    if (parts->segw)
        pop->st.tunnel[HNB_TUN_UP] = pop->p.n; /* fleet.c sets every tunnel up (hnb_segw_established) */
}

void hnb_population_free(HnbPopulation *pop)
{
    if (!pop)
        return;
    hnb_tally_clear(&pop->st.recover_h);
    hnb_survival_clear(&pop->st.recover_km);
    g_free(pop->published);
    hnb_power_clocks_clear(pop);
    g_free(pop->hnb);
    g_free(pop);
}
