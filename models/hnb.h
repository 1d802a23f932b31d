/* models/hnb.h — the HNB population part of the fleet: every HNB's life (boot and secure boot, periodic Informs,
 * sessions, download, install, reboot; power loss and its clock), as hnb.c tells it.
 *
 * The population is the hub: it calls the ACS, the ACS's TLS (kept sessions, handshakes run ahead), secure boot, the
 * image server and the field through the typed pointers of HnbPopulationParts, and they call back through the tables
 * and functions below.  fleet.c reads its counters.
 *
 * Setup in two steps, because the parts need the population as their context and it needs them: new (registers its
 * event kinds), then — once the parts exist — start (t = 0 is a steady state: every HNB runs a genuine image and
 * informs at its own phase).
 */
#ifndef HNB_HNB_H
#define HNB_HNB_H

#include "models/acs.h"
#include "models/acs_tls.h"
#include "models/attack.h"
#include "models/cwmp.h"
#include "models/field.h"
#include "models/fleet.h"
#include "models/hems.h"
#include "models/image_server.h"
#include "models/secure_boot.h"
#include "models/segw.h"
#include "sim/stats.h"
#include "sim/survival.h"

typedef struct {
    uint32_t n;                  /* [fleet] size */
    HnbLayout layout;            /* [hnb] layout */
    gboolean golden_tls;         /* [golden] tls: the golden module reaches the H(e)MS over TLS */
    HnbGoldenCred golden_cred;   /* [golden] credential */
    HnbTime inform_interval;     /* [cwmp] periodic_interval */
    const HnbDist *boot_delay;   /* [cwmp] boot_delay: before every boot Inform, the golden module's too */
    HnbCwmpRetry retry;          /* [cwmp] retry_min_wait, retry_multiplier */
    HnbCwmpRetry ike_retry;      /* [segw] retry_min_wait, retry_multiplier: the IKE client's back-off */
    const HnbDist *boot_time, *install_time;
    const HnbDist *image_verify; /* [hnb] image_verify_time; NULL when it is 0 (then nothing is drawn for it) */
    const HnbDist *access_link;  /* [download] access_link: caps its download */
    HnbTime dl_timeout;          /* [download] timeout */
    HnbTime power_mtbf;          /* [power] mtbf: mean time between power failures per HNB; 0: none */
    const HnbDist *power_outage; /* how long power stays off */
    HnbTime clock_save;          /* the HNB saves its clock every clock_save (0: at the failure itself) */
    double clock_drift;          /* each HNB's clock runs off by up to this fraction (uniform in +-) */
    gboolean ntp;                /* after power returns, NTP corrects the clock after ntp_delay */
    const HnbDist *ntp_delay;
    HnbTime region_at;           /* a regional power outage at this time (0: none) */
    double region_fraction;      /* of the fleet */
    const HnbDist *region_outage;
    /* the fix (models/fix.h): HNB i is variant i % variants; before its variant's fix is published, an HNB that lost
     * its image gets the vulnerable release (recovery_fixed FALSE) or nothing (TRUE: it waits, polling) */
    uint32_t variants;
    gboolean recovery_fixed;
    double wake_rate;            /* [fix] connection_requests per second once a variant is published (0: none) */
} HnbPopulationParams;

/* The parts HNBs call (borrowed; field may be NULL: bricked HNBs stay bricked; segw is NULL with [hems] reach =
 * internet: no tunnel, the fleet as without the part). */
typedef struct {
    HnbSegw *segw;
    HnbHems hems; /* the ACS, its TLS and the image server: the model's or a real one (models/hems.h) */
    HnbSecureBoot *boot;
    HnbField *field;
} HnbPopulationParts;

typedef struct {
    uint64_t count[HNB_S_COUNT];  /* HNBs per state */
    uint64_t compromised_now;     /* latent: rewritten, still running */
    uint64_t affected;            /* losses of service to the attack: a rewritten HNB rebooted (again and again with
                                     [attack] repeat: each episode counts) */
    uint64_t affected_hnbs;       /* HNBs that lost service to the attack at least once */
    uint64_t recovered;           /* affected HNBs back in service */
    uint64_t bricked_total;       /* boots that found no bootable image */
    uint64_t power_failures;
    uint64_t retries;             /* session retries scheduled (TR-069 3.2.1.1) */
    uint64_t ike_retries;         /* tunnel set-ups retried after a failure ([segw] retry_*) */
    double retry_ratio_min, retry_ratio_max;  /* each wait / the lower bound m (k/1000)^(n-1) of its window */
    uint64_t unmanaged[HNB_HS_COUNT];         /* HNBs whose latest TLS handshake failed, by reason */
    HnbTally recover_h;           /* time to recover, hours, of affected HNBs that recovered */
    HnbSurvival recover_km;       /* the same as events, and (after hnb_population_censor) the HNBs still down */
    HnbTime last_recovery;
    double down_ns_total;         /* downtime of HNBs back in service, ns */
    uint64_t on_fix;              /* HNBs in service on the fixed image now */
    HnbTime all_on_fix;           /* when on_fix first reached the fleet size (HNB_TIME_NEVER: not yet) */
    uint64_t fix_downloads;       /* downloads of the fixed image started (the campaign and the rescue) */
    uint64_t release_downloads;   /* downloads of the vulnerable release started (recovery before the fix) */
    uint64_t woken;               /* Connection Requests that opened a session */
    uint64_t tunnel[HNB_TUN_COUNT]; /* with a SeGW: HNBs with their tunnel up, and without one by why (HnbTunnel) */
    HnbTime region_restored_at;   /* when the regional outage's last HNB got its power back (HNB_TIME_NEVER: none) */
    HnbTime all_running_at;       /* the latest time the whole fleet came back into service (HNB_TIME_NEVER: never
                                     left it) */
    uint64_t golden_stranded;     /* boots into a golden module that could not reach the H(e)MS for want of a
                                     credential ([golden] credential = none): sent to the field like a brick */
} HnbPopulationStats;

typedef struct HnbPopulation HnbPopulation;

/* Registers its event kinds; its streams are ("hnb.phase", "hnb.boot", "cwmp.boot_delay", "cwmp.retry",
 * "download.link", "power", "power.region", "hnb.ntp", "segw.retry") of (seed, rep).  params are copied (the distributions are borrowed). */
HnbPopulation *hnb_population_new(HnbSim *sim, const HnbPopulationParams *p, uint64_t seed, guint rep,
                                  HnbTime duration);
/* Wire the parts and schedule every HNB's first events. */
void hnb_population_start(HnbPopulation *pop, const HnbPopulationParts *parts);
void hnb_population_free(HnbPopulation *pop);

/* The callback tables of the parts that act on HNBs (ctx: the population). */
extern const HnbAcsClient hnb_population_acs_client;
extern const HnbAttackTarget hnb_population_attack_target;
extern const HnbImageServerClient hnb_population_image_client;
extern const HnbSegwClient hnb_population_segw_client;
void hnb_population_repaired(HnbSim *sim, uint32_t hnb, void *pop);     /* HnbFieldRepaired */
void hnb_population_fix_published(void *pop, uint32_t variant);         /* HnbFixPublished */

/* HNB i's local clock at true time t: its offset when last set, plus its drift since. */
HnbTime hnb_population_clock(const HnbPopulation *pop, uint32_t i, HnbTime t);

const HnbPopulationStats *hnb_population_stats(const HnbPopulation *pop);
/* Subscriber downtime of every HNB up to `end` (those still down count until then), ns. */
double hnb_population_downtime_ns(const HnbPopulation *pop, HnbTime end);
/* The run ended at `end`: every affected HNB still down enters stats.recover_km as censored after end - down_since
 * (its time to recover is only known to exceed that).  Call once, after the kernel and before reading the stats. */
void hnb_population_censor(HnbPopulation *pop, HnbTime end);

#endif
