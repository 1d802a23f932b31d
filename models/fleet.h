/* models/fleet.h — the fleet model's private parts, shared by hnb.c, acs.c, attack.c and fleet.c.
 *
 * One Fleet per replication.  HNBs are a flat array of compact Hnb records (40 bytes; nothing else per HNB while it
 * is idle).  Every HNB event carries the HNB's power generation in the top byte of its arg: a power loss bumps the
 * generation, so events of the lost "life" (a retry timer, an ACS session in progress) are recognised as stale and
 * dropped, without cancelling them one by one.
 */
#ifndef HNB_FLEET_H
#define HNB_FLEET_H

#include "models/cwmp.h"
#include "models/download.h"
#include "models/field.h"
#include "models/model.h"
#include "sim/stats.h"
#include "crypto/tls.h"

typedef enum {
    HNB_S_RUNNING,     /* in service on a release image */
    HNB_S_BOOTING,     /* power-on / reboot: boot delay and secure boot */
    HNB_S_GOLDEN,      /* the read-only initial module runs: not in service, fetching the release image */
    HNB_S_DOWNLOADING, /* image download in progress (from the golden module or the release image) */
    HNB_S_INSTALLING,  /* verifying and writing the downloaded image */
    HNB_S_BRICKED,     /* no bootable image: waits for the field */
    HNB_S_OFF,         /* power lost */
    HNB_S_COUNT
} HnbState;

typedef enum { HNB_LAYOUT_SINGLE, HNB_LAYOUT_GOLDEN, HNB_LAYOUT_AB, HNB_LAYOUT_AB_GOLDEN } HnbLayout;

/* Hnb.images */
enum {
    HNB_IMG_A_OK = 1u << 0,  /* bank A holds a genuine signed image (single layout: the one image) */
    HNB_IMG_B_OK = 1u << 1,  /* bank B (ab layouts) */
    HNB_IMG_ON_B = 1u << 2,  /* the active bank is B */
};

/* Hnb.flags */
enum {
    HNB_F_IN_SESSION = 1u << 0, /* a CWMP session is open or queued at the ACS */
    HNB_F_COMPROMISED = 1u << 1, /* writable images rewritten by the attacker, not yet rebooted */
    HNB_F_AFFECTED = 1u << 2,    /* lost service because of the attack (counted once) */
    HNB_F_NEEDS_IMAGE = 1u << 3, /* the ACS must push the release image (golden module, or a failed download) */
    HNB_F_ON_GOLDEN = 1u << 4,   /* the golden module is what runs */
};

typedef struct {
    HnbTime down_since;   /* when it left service; -1 while in service */
    HnbTime clock_offset; /* local clock minus true time at clock_set (set by power loss, cleared by a session or
                             NTP); the clock drifts from there (hnb_fleet_clock) */
    HnbTime clock_set;    /* when clock_offset was last set */
    HnbEventId timer;     /* its pending periodic-inform / retry timer, 0 if none */
    uint32_t draws;       /* counter of this HNB's draws on the per-purpose streams */
    uint32_t tls_session; /* the TLS session it may resume (an index kept by the ACS side), 0: none */
    uint8_t state;        /* HnbState */
    uint8_t images;
    uint8_t boot_tries;   /* failed boots of the active bank (ab layouts fall back after 3) */
    uint8_t retry;        /* CWMP retry count n */
    uint8_t events;       /* pending Inform event codes (cwmp.h) */
    uint8_t flags;
    uint8_t gen;          /* power generation, see above */
    uint8_t tls_fail;     /* reason its latest TLS handshake failed (out of management), HNB_TLS_OK: none */
} Hnb;

G_STATIC_ASSERT(sizeof(Hnb) <= 64);

/* arg of HNB events: generation in the top byte, payload below */
#define HNB_ARG(gen, payload) (((uint64_t)(gen) << 56) | (uint64_t)(payload))
#define HNB_ARG_GEN(arg) ((uint8_t)((arg) >> 56))
#define HNB_ARG_PAYLOAD(arg) ((arg) & ((UINT64_C(1) << 56) - 1))

/* TLS handshake outcomes are the engine's reason codes (tls.h), counted per code. */
typedef HnbTlsReason HnbHsOutcome;
#define HNB_HS_OK HNB_TLS_OK
#define HNB_HS_COUNT HNB_TLS_REASON_COUNT

typedef struct Fleet Fleet;

/* hnb.c */
void hnb_fleet_hnb_setup(Fleet *f);                      /* event kinds, initial boots */
void hnb_fleet_reboot(Fleet *f, uint32_t i, HnbTime delay); /* power-cycle/reboot now(+delay): boot sequence */
void hnb_fleet_set_state(Fleet *f, uint32_t i, HnbState s);
/* The ACS ends HNB i's session: ok (with what the ACS asked) or failed (refused, TLS failure, overload). */
void hnb_fleet_session_end(Fleet *f, uint32_t i, gboolean ok, HnbCwmpAcsAction action);
void hnb_fleet_field_repaired(HnbSim *sim, uint32_t i, void *fleet);
/* HNB i's local clock at true time t: its offset when last set, plus its drift since. */
HnbTime hnb_fleet_clock(const Fleet *f, uint32_t i, HnbTime t);
/* HNB i's TLS handshake failed with `reason`: it is out of management until a session succeeds. */
void hnb_fleet_tls_failed(Fleet *f, uint32_t i, HnbHsOutcome reason);

/* acs.c */
void hnb_fleet_acs_setup(Fleet *f);
void hnb_fleet_acs_connect(Fleet *f, uint32_t i); /* HNB i opens a CWMP session now */
void hnb_fleet_acs_free(Fleet *f);
void hnb_acs_tls_forget(Fleet *f, uint32_t i); /* acs_tls.c: HNB i loses its kept TLS session (reboot, power) */

/* attack.c */
void hnb_fleet_attack_setup(Fleet *f);

struct Fleet {
    const HnbScenario *sc;
    HnbSim *sim;
    guint rep;
    uint64_t seed;
    HnbTime duration;

    /* [fleet] [hnb] [golden] [cwmp] */
    uint32_t n;
    HnbLayout layout;
    gboolean golden_tls;
    HnbTime inform_interval;
    const HnbDist *boot_time, *boot_delay, *install_time;
    const HnbDist *image_verify; /* [hnb] image_verify_time; NULL when it is 0 (then nothing is drawn for it) */
    HnbTime power_mtbf;            /* mean time between power failures per HNB; 0: none */
    const HnbDist *power_outage;   /* how long power stays off */
    HnbTime clock_save;            /* the HNB saves its clock every clock_save (0: at the failure itself) */
    double clock_drift;            /* each HNB's clock runs off by up to this fraction (uniform in +-) */
    gboolean ntp;                  /* after power returns, NTP corrects the clock after ntp_delay */
    const HnbDist *ntp_delay;
    HnbTime region_at;             /* a regional power outage at this time (0: none) */
    double region_fraction;        /* of the fleet */
    const HnbDist *region_outage;
    HnbCwmpRetry retry;

    /* [acs] */
    int64_t workers, max_sessions, queue_limit;
    const HnbDist *hs_full, *hs_resumed, *cwmp_cpu, *rtt;
    gboolean resumption;

    /* [download] */
    double image_bytes, bandwidth;
    const HnbDist *access_link;
    HnbTime dl_timeout;

    /* [tls] */
    unsigned fidelity; /* 1: every handshake real; N: one in N real */
    gboolean tls_compliant;
    void *tls_engine;  /* acs_tls.c */

    /* streams */
    HnbStream s_phase, s_boot, s_retry, s_link, s_acs, s_attack, s_power, s_region, s_ntp;

    /* state */
    Hnb *hnb;
    uint64_t count[HNB_S_COUNT]; /* HNBs per state */
    uint64_t compromised_now;    /* latent: rewritten, still running */

    /* kernel event kinds */
    uint32_t k_inform, k_retry, k_boot, k_install, k_reboot, k_dl_next, k_dl_timeout, k_sample;
    uint32_t k_power_fail, k_power_restore, k_ntp;
    uint64_t power_failures;
    uint64_t retries;                   /* session retries scheduled (TR-069 3.2.1.1) */
    uint64_t unmanaged[HNB_TLS_REASON_COUNT]; /* HNBs whose latest TLS handshake failed, by reason */
    double retry_ratio_min, retry_ratio_max; /* each wait / the lower bound m (k/1000)^(n-1) of its window */
    uint64_t image_checks, image_rejected; /* secure-boot and download signature checks (real EVP verifications) */
    uint32_t k_acs_cpu_done, k_acs_session_end, k_attack, k_attack_spread;

    /* ACS */
    struct {
        int64_t open, busy;
        uint64_t *queue; /* FIFO of HNB ids with their generation, capacity a power of two */
        size_t qcap, qhead, qlen;
        uint64_t sessions, completed, refused, failed, handshakes, resumed, real_handshakes;
        uint64_t hs[HNB_HS_COUNT];
        uint64_t since_sample_sessions, since_sample_refused;
        HnbGauge busy_gauge, open_gauge;
        int64_t open_max;
        void *impl; /* acs.c's worker table */
    } acs;

    /* downloads */
    HnbDownloads *dl;
    HnbEventId dl_event;
    uint64_t dl_started, dl_completed, dl_failed;
    double dl_bytes_at_sample;
    double dl_peak_bps;

    /* attack */
    int attack_mode; /* 0 none, 1 instant, 2 epidemic */
    HnbTime attack_start;
    double attack_fraction, spread_rate;
    gboolean attack_all_banks;
    const HnbDist *attack_reboot_delay;
    uint64_t attacked, affected, vulnerable;

    /* field */
    HnbField *field;

    /* outcomes */
    HnbTally recover_h; /* time to recover, hours, of HNBs affected by the attack */
    HnbTime last_recovery;
    uint64_t recovered, bricked_total;
    double down_ns_total; /* subscriber downtime of every HNB, ns */
    HnbTime sample;
    HnbSeries *series;
    HnbProgress *progress;
};

#endif
