/* crypto/ike_job.h — the cryptographic work of one IKEv2 tunnel set-up between an HNB and the SeGW, as a pool job.
 *
 * This is IKEv2's cryptographic COST and CHECKS, not an IKE implementation: no message is encoded, sent or parsed,
 * no proposal is negotiated, no CHILD_SA is made, nothing is encrypted.  What a set-up with certificate
 * authentication (RFC 7296 §1.2: IKE_SA_INIT, then IKE_AUTH; TS 33.320 §7.3) does with public keys is done for real,
 * with OpenSSL 3, both ends in this process:
 *   IKE_SA_INIT  each side makes an ephemeral (EC)DH key of the group (group 19, P-256 ECDH, by default), sends its
 *                public value (KE payload, §3.4: encoded, decoded and checked by the peer) and derives g^ir; the two
 *                secrets must be equal.  Both derive SKEYSEED and SK_pi / SK_pr with PRF_HMAC_SHA2_256 and prf+
 *                (§2.14).
 *   IKE_AUTH     the HNB signs its InitiatorSignedOctets (§2.15: a stand-in of message 1 | Nr | prf(SK_pi, IDi),
 *                IDi = ID_FQDN "<EUI-64>.<realm>") with its device key, SHA-256 (RFC 7427 digital signature,
 *                §3.8 AUTH payload).  The SeGW decodes the device certificate (CERT payload, DER), verifies its chain
 *                to the manufacturer CA at the SeGW's clock with the CRL (X509_V_FLAG_CRL_CHECK), checks that the
 *                certificate's identity (hnb_pki_cert_identity) is IDi, and verifies the AUTH signature over the
 *                octets it built from its own view of the exchange; then signs its ResponderSignedOctets with the
 *                SeGW key.  The HNB decodes the SeGW certificate, verifies its chain to the operator root at the
 *                HNB's clock (X509_V_FLAG_USE_CHECK_TIME) and its name ([pki] segw_fqdn, SAN dNSName), and verifies
 *                the SeGW's AUTH signature.
 * A recovery set-up (HNB_IKE_JOB_RECOVERY_CERT) is the golden module's (crypto/pki.h, "Recovery"): the HNB presents
 * and signs with its recovery credential (hnb_pki_recovery_device), and the SeGW verifies the chain against a trust
 * store holding the recovery CA only, with the recovery CRL (X509_V_FLAG_CRL_CHECK), then checks the identity against
 * IDi exactly as for a device certificate.  A normal set-up's store holds the manufacturer CA only, so a recovery
 * certificate presented in a normal set-up, or a device certificate in a recovery set-up, fails as unknown_ca at the
 * SeGW: each credential is accepted only for its kind of set-up.  The HNB's check of the SeGW is the same for both.
 * The nonces and SPIs come from (HNB index, attempt), so nothing but OpenSSL's own key generation and signatures is
 * random, and those never decide an outcome.
 *
 * Outcome: a reason code of crypto/tls.h (ok, expired, not_yet_valid, unknown_ca, revoked, identity_mismatch,
 * hostname_mismatch, bad_signature, other) — the same names a failed TLS session gets, so a fleet can count "HNBs
 * without a tunnel by reason" beside "without an H(e)MS session" — and the side that detected it.  The first
 * failure ends the job, in the order the exchange meets them: the SeGW's checks of IKE_AUTH request, then the HNB's
 * checks of the response.  Deterministic: the outcome depends only on validity windows, names, revocation and the
 * two clocks given, never on key bytes or timing (tests/test-ike.c runs the same jobs at 1 and 2 threads).
 *
 * Threads: each pool thread has its own library context (crypto/libctx.h), its own trust stores (the HNB's, the
 * SeGW's normal and recovery ones), its own decoded copy of the SeGW credential, of the CA certificates and CRLs, and
 * reusable key-generation contexts.  What workers still share per job: the PKI's table lock for the device (or
 * recovery) credential's look-up (a hash look-up, as in the TLS engine), and a device credential when two jobs of the
 * same HNB run at once.
 */
#ifndef HNB_IKE_JOB_H
#define HNB_IKE_JOB_H

#include <glib.h>
#include <stdint.h>
#include "crypto/pki.h"
#include "crypto/tls.h"
#include "sim/time.h"

typedef enum {
    HNB_IKE_SIDE_NONE, /* ok, or the job could not run (error set) */
    HNB_IKE_SIDE_HNB,  /* the HNB (initiator) refused the SeGW */
    HNB_IKE_SIDE_SEGW, /* the SeGW (responder) refused the HNB */
} HnbIkeSide;

const char *hnb_ike_side_name(HnbIkeSide s); /* "-" "hnb" "segw" */

/* IKEv2 Diffie-Hellman groups (transform type 4 IDs, RFC 7296 §3.3.2 / IANA): 14 MODP-2048, 19 P-256 ECDH (the
 * default), 20 P-384, 21 P-521, 31 Curve25519.  "p-256" etc. for a known group, NULL for any other. */
#define HNB_IKE_DH_DEFAULT 19
const char *hnb_ike_dh_group_name(int group);

typedef struct HnbIkeEngine HnbIkeEngine;

/* An engine for `pki`'s SeGW, HNBs and CAs (borrowed: the PKI must outlive it).  dh_group: one of the groups above;
 * segw_host: the name an HNB expects in the SeGW certificate (NULL: [pki] segw_fqdn).  Builds one thread context
 * to check that everything works.  HNB_ERROR_INPUT for an unknown group, HNB_ERROR_RUN (OpenSSL's words) else. */
HnbIkeEngine *hnb_ike_engine_new(HnbPki *pki, int dh_group, const char *segw_host, GError **error);
void hnb_ike_engine_free(HnbIkeEngine *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbIkeEngine, hnb_ike_engine_free)
HnbPki *hnb_ike_engine_pki(HnbIkeEngine *e);
int hnb_ike_engine_dh_group(const HnbIkeEngine *e);

/* Pool hooks: hnb_pool_new(threads, batch, hnb_ike_thread_init, hnb_ike_thread_free, engine), then submit
 * hnb_ike_job_run with an HnbIkeJob.  A thread context that cannot be built is NULL: its jobs end with an error. */
void *hnb_ike_thread_init(void *engine);
void hnb_ike_thread_free(void *thread_ctx);
void hnb_ike_job_run(void *job, void *thread_ctx);

enum {
    HNB_IKE_JOB_FOREIGN_CERT = 1 << 0, /* the HNB presents a certificate of its identity from the foreign CA */
    /* A recovery set-up (the golden module's): the HNB presents and signs with its recovery credential; the SeGW
     * trusts the recovery CA and its CRL instead of the manufacturer CA and its CRL. */
    HNB_IKE_JOB_RECOVERY_CERT = 1 << 1,
    /* Test knob: the HNB presents its credential of the other kind (its recovery credential in a normal set-up, its
     * device credential in a recovery one), which the SeGW refuses as unknown_ca.  FOREIGN_CERT wins over it. */
    HNB_IKE_JOB_CROSS_CERT = 1 << 2,
};

typedef struct {
    /* inputs */
    HnbIkeEngine *engine;
    uint32_t hnb;        /* HNB index: its device credential and identity */
    uint32_t attempt;    /* set-up attempt of this HNB (nonces and SPIs differ per attempt) */
    HnbTime hnb_clock;   /* the HNB's local clock (ns since the epoch): the SeGW certificate's validity */
    HnbTime segw_time;   /* the SeGW's clock: the device (recovery) certificate's validity and the CRL's */
    uint32_t flags;      /* HNB_IKE_JOB_* */
    /* outputs */
    HnbTlsReason reason;
    HnbIkeSide side;
    uint64_t cpu_ns;      /* CLOCK_THREAD_CPUTIME_ID spent in the job (both ends) */
    uint64_t segw_cpu_ns; /* the part of cpu_ns spent in the SeGW's steps (its worker's cost) */
    char detail[160];     /* why, in OpenSSL's words ("" if ok) */
    GError *error;        /* the set-up could not be computed (an OpenSSL failure, not a modelled outcome); reason is
                             then HNB_TLS_OTHER.  Freed by hnb_ike_job_clear. */
} HnbIkeJob;

/* Fill the inputs (outputs cleared). */
void hnb_ike_job_init(HnbIkeJob *job, HnbIkeEngine *engine, uint32_t hnb, uint32_t attempt, HnbTime hnb_clock,
                      HnbTime segw_time);
/* Run one job in the calling thread with a thread context of its own (tests, tools). */
void hnb_ike_job_run_once(HnbIkeJob *job);
void hnb_ike_job_clear(HnbIkeJob *job);

#endif
