/* models/fleet.h — the fleet model's shared vocabulary: the HNB record every part reads, its states, image layouts
 * and flags, and the arg of HNB events.
 *
 * The fleet is parts wired onto one kernel by fleet.c, each with its parameters (read once from the scenario, const
 * during the run), its state and its counters in its own struct, behind a narrow header:
 *
 *   part                 header              struct             talks back through
 *   HNB population       models/hnb.h        HnbPopulation      (the hub: calls the parts below)
 *   ACS (H(e)MS)         models/acs.h        HnbAcs             HnbAcsClient: session_end, tls_failed, ...
 *   ACS's TLS            models/acs_tls.h    HnbAcsTls          (results returned to the ACS)
 *   secure boot (TrE)    models/secure_boot.h HnbSecureBoot     (a token joined by the HNB's event)
 *   image server         models/image_server.h HnbImageServer   HnbImageServerClient: granted, done (failed)
 *   (the HNBs reach the ACS, its TLS and the image server through one seam, models/hems.h HnbHems, so that a real
 *    H(e)MS can stand in for them: `hnbsim drive`; models/fleet_run.h runs a replication in steps)
 *   field force          models/field.h      HnbField           HnbFieldRepaired
 *   attacker             models/attack.h     HnbAttack          HnbAttackTarget: rewrite, reboot_in
 *   fix pipeline         models/fix.h        HnbFix             HnbFixPublished (its signing servers: signer.h)
 *   SeGW                 models/segw.h       HnbSegw            HnbSegwClient: tunnel_up, tunnel_failed, ...
 *   SeGW's IKE jobs      models/segw_ike.h   HnbSegwIke         (HnbSegwCrypto: outcomes returned to the SeGW)
 *
 * Parts never include each other's .c state: a part that must act on an HNB calls the HNB population through the
 * callback table it was given (a context pointer and functions, as Redis ae.c's clientData), so a test can drive a
 * part with a table of its own (tests/test-acs.c).  The HNB population holds typed pointers to the parts it uses,
 * and the H(e)MS as an HnbHems (tests/test-fleet-run.c drives the population with a fake one).
 *
 * Adding a part (the SeGW):
 *   1. models/<part>.h: `<Part>Params` (filled by fleet.c from the scenario), an opaque `<Part>`, `<Part>Stats`
 *      (counters the metrics read), and — if the part acts on HNBs — a callback table `<Part>Client` with a `ctx`.
 *      `hnb_<part>_new(sim, params, streams..., client, ctx)` registers its event kinds; `_free` after the run.
 *   2. models/<part>.c: its events and handlers; its own random streams (hnb_stream(seed, rep, "<part>.<purpose>"),
 *      never another part's, so adding it shifts no existing draw).
 *   3. hnb.c: implement the client table (static functions over HnbPopulation) and, if HNBs call the part, a typed
 *      pointer in HnbPopulationParts.
 *   4. fleet.c: its keys in `schema`, its params in `fleet_params`, `new` in `parts_new` and `free` in `parts_free`
 *      (mirrored order), its counters in `metrics`.
 *   5. docs/DESIGN.md's fleet-model table.
 * Event order is results: a new part that schedules nothing when it is off keeps every shipped scenario identical.
 *
 * HNBs are a flat array of compact Hnb records (32 bytes; a clock set off by a power loss is kept apart, hnb_power.c;
 * nothing else per HNB while it is idle).  Every HNB event
 * carries the HNB's power generation in the top byte of its arg: a power loss bumps the generation, so events of the
 * lost "life" (a retry timer, an ACS session in progress) are recognised as stale and dropped, without cancelling them
 * one by one.
 */
#ifndef HNB_FLEET_H
#define HNB_FLEET_H

#include <glib.h>
#include <stdint.h>
#include "crypto/tls.h"
#include "sim/sim.h"

typedef enum {
    HNB_S_RUNNING,     /* in service on a release image */
    HNB_S_BOOTING,     /* power-on / reboot: boot delay and secure boot; with a SeGW, a verified release image until
                          its tunnel is up */
    HNB_S_GOLDEN,      /* the read-only initial module runs: not in service, fetching the release image */
    HNB_S_DOWNLOADING, /* image download in progress (from the golden module or the release image) */
    HNB_S_INSTALLING,  /* verifying and writing the downloaded image */
    HNB_S_BRICKED,     /* no bootable image (or a golden module without a credential to reach the H(e)MS): waits for
                          the field */
    HNB_S_OFF,         /* power lost */
    HNB_S_COUNT
} HnbState;

typedef enum { HNB_LAYOUT_SINGLE, HNB_LAYOUT_GOLDEN, HNB_LAYOUT_AB, HNB_LAYOUT_AB_GOLDEN } HnbLayout;

/* Does the layout carry a read-only golden module? */
static inline gboolean hnb_layout_has_golden(HnbLayout l)
{
    return l == HNB_LAYOUT_GOLDEN || l == HNB_LAYOUT_AB_GOLDEN;
}

/* [golden] credential: what the golden module authenticates with to the SeGW and over TLS. */
typedef enum {
    HNB_GOLDEN_CRED_DEVICE,   /* the device key, released by the TrE to the verified golden module (clause 6.1) */
    HNB_GOLDEN_CRED_RECOVERY, /* its own recovery certificate, accepted only for a recovery session */
    HNB_GOLDEN_CRED_NONE,     /* none: no tunnel, no mutual TLS; only plain HTTP on the open internet */
} HnbGoldenCred;

/* Hnb.tunnel, with a SeGW: its tunnel is up, or why not (each HNB in exactly one; counted in
 * HnbPopulationStats.tunnel).  Without a SeGW every HNB stays HNB_TUN_UP and nothing counts. */
typedef enum {
    HNB_TUN_UP,            /* its tunnel is up */
    HNB_TUN_DOWN,          /* no verified image runs to set one up: booting, installing, off, bricked */
    HNB_TUN_SETUP,         /* a set-up is under way (IKE_SA_INIT sent, no outcome yet) */
    HNB_TUN_DROPPED,       /* its latest set-up went unanswered (the SeGW dropped it): it waits to retry */
    HNB_TUN_REFUSED,       /* its latest set-up failed a check (clock, revoked, expired...): it waits to retry */
    HNB_TUN_NO_CREDENTIAL, /* its golden module has no credential ([golden] credential = none): it cannot try */
    HNB_TUN_COUNT
} HnbTunnel;

/* Hnb.images */
enum {
    HNB_IMG_A_OK = 1u << 0,  /* bank A holds a genuine signed image (single layout: the one image) */
    HNB_IMG_B_OK = 1u << 1,  /* bank B (ab layouts) */
    HNB_IMG_ON_B = 1u << 2,  /* the active bank is B */
    HNB_IMG_A_FIXED = 1u << 3, /* bank A holds the fixed image (models/fix.h), not the vulnerable release */
    HNB_IMG_B_FIXED = 1u << 4,
};

/* Hnb.flags */
enum {
    HNB_F_IN_SESSION = 1u << 0, /* a CWMP session is open or queued at the ACS */
    HNB_F_COMPROMISED = 1u << 1, /* writable images rewritten by the attacker, not yet rebooted */
    HNB_F_AFFECTED = 1u << 2,    /* lost service because of the attack (counted once) */
    HNB_F_NEEDS_IMAGE = 1u << 3, /* the ACS must push the release image (golden module, or a failed download) */
    HNB_F_ON_GOLDEN = 1u << 4,   /* the golden module is what runs */
    HNB_F_DL_FIXED = 1u << 5,    /* the image it downloads (or installs) is the fixed one */
    HNB_F_UPDATING = 1u << 6,    /* an HNB in service downloads or installs an image in the background */
    HNB_F_EVER_AFFECTED = 1u << 7, /* it lost service because of the attack at least once ([attack] repeat) */
};

typedef struct {
    HnbTime down_since;   /* when it left service; -1 while in service */
    HnbEventId timer;     /* its pending periodic-inform / retry timer, 0 if none */
    uint32_t draws;       /* counter of this HNB's draws on the per-purpose streams (the ACS's too, via its client) */
    uint8_t tls_session;  /* it may resume a kept TLS session (set through the ACS client), 0: none */
    uint8_t state;        /* HnbState */
    uint8_t images;
    uint8_t boot_tries;   /* banks whose signature check failed in this boot (ab layouts fail over after the first) */
    uint8_t retry;        /* CWMP retry count n; with a SeGW, between a boot and its tunnel up, the IKE client's (no
                             CWMP session happens before the tunnel, and both counts start at 0 after a reboot) */
    uint8_t events;       /* pending Inform event codes (cwmp.h) */
    uint8_t flags;
    uint8_t gen;          /* power generation, see above */
    uint8_t tls_fail;     /* reason its latest TLS handshake failed (out of management), HNB_TLS_OK: none */
    uint8_t tunnel;       /* HnbTunnel */
} Hnb;

/* 32 bytes: a national fleet's 10M HNBs hold 320 MB of them (issue 16's budget is 200 bytes an HNB, all state) */
G_STATIC_ASSERT(sizeof(Hnb) == 32);

/* arg of HNB events: generation in the top byte, payload below */
#define HNB_ARG(gen, payload) (((uint64_t)(gen) << 56) | (uint64_t)(payload))
#define HNB_ARG_GEN(arg) ((uint8_t)((arg) >> 56))
#define HNB_ARG_PAYLOAD(arg) ((arg) & ((UINT64_C(1) << 56) - 1))

/* TLS handshake outcomes are the engine's reason codes (tls.h), counted per code. */
typedef HnbTlsReason HnbHsOutcome;
#define HNB_HS_OK HNB_TLS_OK
#define HNB_HS_COUNT HNB_TLS_REASON_COUNT

#endif
