/* models/trust.c — the verification key set in the TrE after a signing-key compromise (the seed's fourth doubt).
 *
 * The TrE of every HNB holds a verification key set (keyset.h) and runs only images it verifies.  Three designs:
 *   fixed     one key, never replaced: only a new TrE (a field visit) removes a leaked key;
 *   updatable one key, replaced by an update signed by the current key — so the attacker holding that key can replace
 *             it too (the seed's case 2): who reaches an HNB first wins it, and an HNB the attacker re-keyed refuses
 *             the operator's rotation and is lost until a field visit;
 *   chained   n keys, threshold k (TUF root rotation): images and updates need k distinct current keys, rollback is
 *             refused.  An attacker with fewer than k keys signs nothing that verifies; with k or more it is as above.
 *
 * Story of a run.  At [compromise] time the attacker obtains c of the operator's n generation-0 keys.  Through a
 * rewritten H(e)MS entry (each reached HNB at its own delay) or a lost local tool (attempts at a rate within one
 * region), it first tries to re-key the HNB (not in mode fixed; unless [attack] rekey = false), then installs an image
 * signed with whatever keys the HNB's TrE now trusts from it.  After the detection delay the operator acts: fixed — field visits (new TrE holding
 * the generation-1 key set) for every exposed HNB, or only for those found running attacker code; updatable and
 * chained — a rotation to the generation-1 set, signed by the generation-0 keys it still holds, reaches every HNB at
 * its own delay; an HNB that accepts it is cleaned over the air with an image signed by the new keys, one that
 * refuses it (re-keyed by the attacker) gets a field visit.  Assumption: attacker code cannot stop the TrE from
 * taking a valid rotation and a clean image (the TrE, not the release software, checks both).
 *
 * Real checks, cached.  The distinct objects (two key-set updates, three signed images) and the distinct trust
 * states (operator generation 0, operator generation 1, attacker) are few; each (object, state) pair is verified with
 * real signatures the first time an HNB needs it and the boolean is kept, so a 100k fleet does not repeat identical
 * verifications while every distinct pair is really checked.  They run in the kernel's thread: a handful per run.
 *
 * The legal certificate ([compromise] kind = legal_cert, the seed's case 2 read literally: "an attacker can use a
 * legal certificate ... rewrite the certificate into the HNB, and sign a modified software with the private key of
 * his certificate").  The attacker holds no operator key, only a management credential: through a rewritten H(e)MS
 * entry the operator's H(e)MS credential, or through a lost tool a maintenance-tool certificate of the PKI's tool CA.
 * TS 33.320 (6.1, the TrE) says the TrE holds what verifies software but not how that is updated, so the mode
 * writable is the design the seed fears: the TrE lets any session authenticated with the rights [trust]
 * update_rights names write a new verification key set, with no signature by the current key.  There the attacker
 * writes his own set and installs his own signed image; without those rights, or in fixed, updatable or chained
 * (he signs nothing by a current key), every TrE refuses him, and his software does not verify.  The operator, after
 * detection, revokes his credential (refused from detection + [operator] revoke_delay) and writes its generation-1
 * set back over its own H(e)MS channel (if hems is in update_rights; else field visits), cleaning over the air.  The
 * race: until the revocation the attacker still writes, so an HNB he reaches after its write-back is his again; at
 * the revocation the operator writes once more to every HNB still holding his set.  The trade-off: a writable TrE
 * is never lost to the operator, and is open to anyone holding the rights.
 *
 * Keys: operator generation-0 key 0 is the PKI's software-signing key (the fleet model's verification
 * certificate); the other keys are the PKI's named keys (cached on disk): tre-op-g0-k<i>, tre-op-g1-k<i>,
 * tre-attacker-k<i>.
 *
 * Credentials (legal_cert) are real too: the H(e)MS certificate, or the tool certificate of tool 0 (fleet-wide scope),
 * is verified with X509_verify_cert against the operator root the first time it is needed, and its rights follow from
 * the chain it verified along (root -> H(e)MS name: hems; root -> tool CA -> tool name: tool).  After revocation the
 * tool certificate is checked against a real CRL of the tool CA listing it.  The H(e)MS credential is not revoked
 * (it is the operator's own, and the PKI publishes no CRL of the root): the operator closes the rewritten entry, a
 * flag from the revocation time on.
 *
 * Streams (common random numbers, so the modes see the same attack): HNB i's reach by the attacker is draw 0
 * (reached?) and 1.. (delay) of ("trust.attack", i); the operator's rotation (or write-back) delay of
 * ("trust.rotate", i), the same offset after detection and after revocation; detection ("trust.detect", 0); the
 * revocation delay ("trust.revoke", 0); tool attempts ("trust.tool", 0, 2a and 2a+1); field visits ("field", i).
 */
#include "models/field.h"
#include "crypto/keyset.h"
#include "models/model.h"
#include "crypto/pki.h"
#include "sim/stats.h"

#include <math.h>
#include <string.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

typedef enum { MODE_FIXED, MODE_UPDATABLE, MODE_CHAINED, MODE_WRITABLE } Mode;

/* management credentials a session with the TrE may be authenticated by (legal_cert), and the rights they carry */
enum { CR_HEMS, CR_TOOL, CR_TOOL_REVOKED, CR_COUNT };
enum { RIGHT_HEMS = 1u << 0, RIGHT_TOOL = 1u << 1 };

/* trust states: what a TrE may hold */
enum { TS_OP0, TS_OP1, TS_ATT, TS_COUNT };
/* signed objects the HNBs are shown */
enum { OBJ_UPD_OP1, OBJ_UPD_ATT, OBJ_IMG_MAL0, OBJ_IMG_MALATT, OBJ_IMG_GEN1, OBJ_COUNT };

/* Node.flags */
enum {
    F_MALICIOUS = 1u << 0, /* runs attacker code */
    F_EVER = 1u << 1,      /* has run attacker code (counted once) */
    F_LOST = 1u << 2,      /* its TrE holds the attacker's key set */
    F_QUEUED = 1u << 3,    /* a field visit is requested and not done */
    F_EVER_LOST = 1u << 4, /* the attacker wrote its key set at least once (legal_cert: counted once) */
    F_WRITTEN = 1u << 5,   /* the operator wrote its set back over the channel (a later re-key is a rewrite) */
};

typedef struct {
    uint8_t trust; /* TS_* */
    uint8_t flags;
} Node;

typedef struct Trust Trust;
struct Trust {
    const HnbScenario *sc;
    HnbSim *sim;
    /* parameters */
    Mode mode;
    uint32_t n;
    unsigned keys, threshold, compromised_keys;
    HnbTime duration, sample, compromise;
    gboolean vector_tool, replace_all, rekey, legal;
    unsigned update_rights; /* RIGHT_*: whose sessions a writable TrE lets write its key set */
    double fraction, tool_rate;
    uint32_t tool_region;
    const HnbDist *reach, *detection, *rotate_reach, *revoke_delay;
    HnbStream s_attack, s_rotate, s_detect, s_tool, s_revoke;
    /* kernel */
    uint32_t k_reach, k_tool, k_detect, k_rotate, k_sample, k_revoke;
    /* crypto: the trust states, the objects, the verdicts */
    HnbPki *pki;
    HnbKeySet ks[TS_COUNT];
    HnbKeySetUpdate upd[OBJ_COUNT];      /* OBJ_UPD_* */
    HnbThresholdImage img[OBJ_COUNT];    /* OBJ_IMG_* */
    uint8_t content_mal[32], content_gen[32];
    int8_t verdict[OBJ_COUNT][TS_COUNT]; /* -1: not verified yet */
    uint64_t checks, checks_real;
    /* legal_cert: the attacker's tool certificate, the tool CA's CRLs (none revoked, his revoked), the credentials'
     * rights (-1: not verified yet) and the (credential, state) write verdicts */
    const HnbPkiCred *tool;
    X509_CRL *crl_none, *crl_revoked;
    int rights[CR_COUNT];
    int8_t writes_verdict[CR_COUNT][TS_COUNT];
    HnbTime revoked; /* when the attacker's credential is refused; HNB_TIME_NEVER until then */
    /* state */
    Node *hnb;
    uint64_t in_state[TS_COUNT];
    uint64_t mal_now, lost_now;
    HnbTime detected; /* HNB_TIME_NEVER until then */
    HnbField *field;
    /* outcomes */
    uint64_t rewrites;
    uint64_t reached, compromised, lost, recovered_ota, recovered_field, rotations_ok, rotations_refused;
    uint64_t mal_peak;
    HnbTime clean_at; /* when the last HNB running attacker code was cleaned; NEVER while some are */
    HnbGauge mal_gauge;
    HnbSeries *series;
};

/* ---- crypto ------------------------------------------------------------------------------------------------------ */

static EVP_PKEY *key_of(Trust *m, const char *owner, unsigned gen, unsigned i, GError **error)
{
    if (strcmp(owner, "op") == 0 && gen == 0 && i == 0)
        return hnb_pki_signing(m->pki)->key;
    char name[40];
    if (strcmp(owner, "op") == 0)
        g_snprintf(name, sizeof name, "tre-op-g%u-k%u", gen, i);
    else
        g_snprintf(name, sizeof name, "tre-attacker-k%u", i);
    return hnb_pki_key(m->pki, name, HNB_PKI_KEY_EC_P256, error);
}

static gboolean keys_of(Trust *m, const char *owner, unsigned gen, EVP_PKEY **out, GError **error)
{
    for (unsigned i = 0; i < m->keys; i++)
        if (!(out[i] = key_of(m, owner, gen, i, error)))
            return FALSE;
    return TRUE;
}

/* Build the three trust states and the five signed objects. */
static gboolean crypto_init(Trust *m, GError **error)
{
    EVP_PKEY *op0[HNB_KEYSET_MAX], *op1[HNB_KEYSET_MAX], *att[HNB_KEYSET_MAX];
    if (!keys_of(m, "op", 0, op0, error) || !keys_of(m, "op", 1, op1, error) || !keys_of(m, "attacker", 0, att, error))
        return FALSE;
    /* the attacker claims a far higher version, so that rollback protection shields ITS set from the operator */
    if (!hnb_keyset_init(&m->ks[TS_OP0], 1, m->threshold, op0, m->keys, error) ||
        !hnb_keyset_init(&m->ks[TS_OP1], 2, m->threshold, op1, m->keys, error) ||
        !hnb_keyset_init(&m->ks[TS_ATT], 1000, m->threshold, att, m->keys, error))
        return FALSE;
    /* the operator signs with every key it holds; the attacker with the c it stole (operator keys 0..c-1) */
    HnbImageManifest mal, gen;
    hnb_image_manifest_init(&mal, "hnb-release", "6.6.6", 50000000, "attacker code");
    hnb_image_manifest_init(&gen, "hnb-release", "2.0", 50000000, "release 2.0");
    hnb_image_content_digest("attacker code", m->content_mal);
    hnb_image_content_digest("release 2.0", m->content_gen);
    /* legal_cert by a lost tool: tool 0's certificate, fleet-wide, valid through the run; the TrE's CRL before the
     * revocation lists nothing */
    HnbTime day = hnb_time_from_sec(86400.0);
    if (m->legal && m->vector_tool &&
        (!(m->tool = hnb_pki_tool(m->pki, 0, 0, -1, -30 * day, m->duration + 365 * day, error)) ||
         !(m->crl_none = hnb_pki_tool_crl(m->pki, NULL, 0, 0, error))))
        return FALSE;
    return hnb_keyset_update_sign(&m->upd[OBJ_UPD_OP1], &m->ks[TS_OP1], op0, m->keys, error) &&
           hnb_keyset_update_sign(&m->upd[OBJ_UPD_ATT], &m->ks[TS_ATT], op0, m->compromised_keys, error) &&
           hnb_keyset_image_sign(&m->img[OBJ_IMG_MAL0], &mal, op0, m->compromised_keys, error) &&
           hnb_keyset_image_sign(&m->img[OBJ_IMG_MALATT], &mal, att, m->keys, error) &&
           hnb_keyset_image_sign(&m->img[OBJ_IMG_GEN1], &gen, op1, m->keys, error);
}

static void crypto_clear(Trust *m)
{
    for (int s = 0; s < TS_COUNT; s++)
        hnb_keyset_clear(&m->ks[s]);
    for (int o = 0; o < OBJ_COUNT; o++) {
        hnb_keyset_update_clear(&m->upd[o]);
        hnb_keyset_image_clear(&m->img[o]);
    }
    X509_CRL_free(m->crl_none);
    X509_CRL_free(m->crl_revoked);
    hnb_pki_free(m->pki);
}

/* Does a TrE holding state s accept object o?  Real signature checks the first time, the kept boolean after. */
static gboolean accepts(Trust *m, int o, int s)
{
    m->checks++;
    if (m->verdict[o][s] < 0) {
        gboolean update = o == OBJ_UPD_OP1 || o == OBJ_UPD_ATT, ok;
        /* a fixed TrE has no update path: nothing to verify */
        m->checks_real += !(update && m->mode == MODE_FIXED);
        if (update)
            ok = m->mode != MODE_FIXED && hnb_keyset_accept(&m->ks[s], &m->upd[o], NULL) == HNB_KEYSET_OK;
        else
            ok = hnb_keyset_image_verify(&m->ks[s], &m->img[o], o == OBJ_IMG_GEN1 ? m->content_gen : m->content_mal,
                                         NULL) == HNB_IMAGE_OK;
        m->verdict[o][s] = ok ? 1 : 0;
    }
    return m->verdict[o][s] == 1;
}

/* The rights a credential carries, from a real chain verification against the operator root at the time it is used:
 * hems for a certificate the root issued to the H(e)MS name, tool for one the tool CA issued to a tool name; 0 when
 * it does not verify (the revoked tool certificate, against the CRL listing it).  Verified once, then kept. */
static unsigned cred_rights(Trust *m, int c)
{
    if (m->rights[c] >= 0)
        return (unsigned)m->rights[c];
    m->checks_real++;
    gboolean tool = c != CR_HEMS;
    const HnbPkiCred *cred = tool ? m->tool : hnb_pki_hems(m->pki);
    HnbTime at = c == CR_TOOL_REVOKED ? m->revoked : m->compromise;
    g_autofree char *tool_host = hnb_pki_tool_host(m->pki, 0);
    const char *host = tool ? tool_host : hnb_pki_params(m->pki)->hems_fqdn;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    unsigned rights = 0;
    if (store && ctx && X509_STORE_add_cert(store, hnb_pki_root(m->pki)->cert) == 1 &&
        (!tool || X509_STORE_add_crl(store, c == CR_TOOL_REVOKED ? m->crl_revoked : m->crl_none) == 1) &&
        X509_STORE_CTX_init(ctx, store, cred->cert, cred->chain) == 1) {
        /* only a tool certificate's issuer (the tool CA) publishes CRLs */
        if (tool)
            X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK);
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
                                   (time_t)(hnb_pki_params(m->pki)->epoch + (gint64)hnb_time_to_sec(at)));
        if (X509_verify_cert(ctx) == 1 && X509_check_host(cred->cert, host, 0, 0, NULL) == 1) {
            STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
            int len = sk_X509_num(chain);
            if (len == 3 && X509_cmp(sk_X509_value(chain, 1), hnb_pki_tool_ca(m->pki)->cert) == 0)
                rights = RIGHT_TOOL;
            else if (len == 2)
                rights = RIGHT_HEMS;
        }
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    m->rights[c] = (int)rights;
    return rights;
}

/* Does a writable TrE in state s let a session authenticated by credential c write its key set?  Only when c
 * verifies and carries rights named in update_rights: the channel authorises, the set itself is not signed. */
static gboolean writes(Trust *m, int c, int s)
{
    m->checks++;
    if (m->writes_verdict[c][s] < 0)
        m->writes_verdict[c][s] = (cred_rights(m, c) & m->update_rights) != 0;
    return m->writes_verdict[c][s] == 1;
}

/* ---- HNB state --------------------------------------------------------------------------------------------------- */

static void set_trust(Trust *m, uint32_t i, int s)
{
    m->in_state[m->hnb[i].trust]--;
    m->in_state[s]++;
    m->hnb[i].trust = (uint8_t)s;
}

static void request_field(Trust *m, uint32_t i)
{
    if (m->hnb[i].flags & F_QUEUED)
        return;
    m->hnb[i].flags |= F_QUEUED;
    hnb_field_request(m->field, i);
}

static void set_malicious(Trust *m, uint32_t i, gboolean on)
{
    Node *h = &m->hnb[i];
    HnbTime now = hnb_sim_now(m->sim);
    if (on) {
        h->flags |= F_MALICIOUS;
        if (!(h->flags & F_EVER))
            m->compromised++;
        h->flags |= F_EVER;
        m->mal_now++;
        m->mal_peak = MAX(m->mal_peak, m->mal_now);
        m->clean_at = HNB_TIME_NEVER;
    } else {
        h->flags &= ~F_MALICIOUS;
        if (--m->mal_now == 0)
            m->clean_at = now;
    }
    hnb_gauge_set(&m->mal_gauge, now, (double)m->mal_now);
}

/* legal_cert: the credential the attacker's session presents now, or -1 when the operator has closed his rewritten
 * H(e)MS entry (the H(e)MS credential is not revoked; see the header) */
static int attacker_cred(const Trust *m)
{
    gboolean revoked = m->revoked != HNB_TIME_NEVER;
    return m->vector_tool ? (revoked ? CR_TOOL_REVOKED : CR_TOOL) : (revoked ? -1 : CR_HEMS);
}

/* legal_cert in a writable TrE: a session with his credential; with rights in update_rights he writes his own set */
static void attack_writable(Trust *m, uint32_t i)
{
    Node *h = &m->hnb[i];
    int c = attacker_cred(m);
    if (c < 0 || !cred_rights(m, c))
        return; /* no session: the TrE is shown nothing */
    if (m->rekey && h->trust != TS_ATT && writes(m, c, h->trust)) {
        set_trust(m, i, TS_ATT);
        m->rewrites += (h->flags & F_WRITTEN) != 0;
        if (!(h->flags & F_EVER_LOST))
            m->lost++;
        h->flags |= F_LOST | F_EVER_LOST;
        m->lost_now++;
    }
    if (accepts(m, h->trust == TS_ATT ? OBJ_IMG_MALATT : OBJ_IMG_MAL0, h->trust))
        set_malicious(m, i, TRUE);
}

/* The attacker reaches HNB i: re-key its TrE if it can, then install attacker code if the TrE verifies it.  With only
 * a legal certificate (no operator key) in fixed, updatable and chained the same steps run: his update and image
 * carry no signature by a current key, and the real checks refuse them. */
static void attack(Trust *m, uint32_t i)
{
    Node *h = &m->hnb[i];
    m->reached++;
    if (h->flags & F_MALICIOUS)
        return;
    if (m->mode == MODE_WRITABLE) {
        attack_writable(m, i);
        return;
    }
    if (m->rekey && h->trust != TS_ATT && accepts(m, OBJ_UPD_ATT, h->trust)) {
        set_trust(m, i, TS_ATT);
        h->flags |= F_LOST;
        m->lost++;
        m->lost_now++;
    }
    if (!accepts(m, h->trust == TS_ATT ? OBJ_IMG_MALATT : OBJ_IMG_MAL0, h->trust))
        return;
    set_malicious(m, i, TRUE);
    /* fixed, after detection, replacing only what runs attacker code: found (and queued) as it turns up */
    if (m->mode == MODE_FIXED && !m->replace_all && m->detected != HNB_TIME_NEVER)
        request_field(m, i);
}

static void on_reach(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    (void)sim;
    attack(ud, ev->entity);
}

/* The lost tool: attempts at tool_rate on HNBs drawn from its region (the first tool_region HNBs). */
static void schedule_tool(Trust *m, HnbTime after, uint64_t attempt)
{
    double u = hnb_rng_uniform(m->s_tool, 0, 2 * attempt);
    HnbTime gap = hnb_time_from_sec(hnb_exp_from_uniform(3600.0 / m->tool_rate, u));
    if (m->tool_rate > 0 && gap <= m->duration - after) /* gap may saturate at HNB_TIME_NEVER: no sum */
        hnb_sim_schedule(m->sim, after + gap, m->k_tool, 0, attempt);
}

static void on_tool(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Trust *m = ud;
    (void)sim;
    uint32_t region = MIN(m->tool_region, m->n);
    double u = hnb_rng_uniform(m->s_tool, 0, 2 * ev->arg + 1);
    attack(m, MIN((uint32_t)(u * region), region - 1));
    schedule_tool(m, ev->time, ev->arg + 1);
}

/* The operator's campaign: its rotation (or, writable, its write-back) reaches each HNB at its own delay after t. */
static void schedule_rotation(Trust *m, HnbTime t, gboolean only_attackers)
{
    for (uint32_t i = 0; i < m->n; i++) {
        if (only_attackers && m->hnb[i].trust != TS_ATT)
            continue;
        HnbRng r = hnb_rng_at(m->s_rotate, i, 0);
        HnbTime at = t + hnb_dist_sample_time(m->rotate_reach, &r);
        if (at <= m->duration)
            hnb_sim_schedule(m->sim, at, m->k_rotate, i, 0);
    }
}

/* legal_cert detected: the credential is refused after the revocation delay; no operator key leaked, so only a
 * writable TrE (which the attacker may have re-keyed) needs the operator's set written back. */
static void detect_legal(Trust *m, HnbTime now)
{
    HnbRng r = hnb_rng_at(m->s_revoke, 0, 0);
    HnbTime at = now + hnb_dist_sample_time(m->revoke_delay, &r);
    if (at <= m->duration)
        hnb_sim_schedule(m->sim, at, m->k_revoke, 0, 0);
    if (m->mode == MODE_WRITABLE)
        schedule_rotation(m, now, FALSE);
}

/* The attacker's credential is refused from now on (tool: the TrE's CRL lists it); the operator writes once more to
 * every HNB he re-keyed since its write-back (the race of the header). */
static void on_revoke(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Trust *m = ud;
    (void)sim;
    m->revoked = ev->time;
    if (m->vector_tool) {
        uint64_t serial = HNB_PKI_TOOL_SERIAL(0, 0);
        m->crl_revoked = hnb_pki_tool_crl(m->pki, &serial, 1, ev->time, NULL);
        /* no CRL (an OpenSSL failure): the TrE cannot check, and refuses the tool (cred_rights finds no CRL) */
    }
    if (m->mode == MODE_WRITABLE)
        schedule_rotation(m, ev->time, TRUE);
}

static void on_detect(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Trust *m = ud;
    (void)sim;
    m->detected = ev->time;
    if (m->legal) {
        detect_legal(m, ev->time);
        return;
    }
    if (m->mode == MODE_FIXED) {
        /* what runs attacker code first, then (replace all) every TrE that still trusts the leaked key */
        for (uint32_t i = 0; i < m->n; i++)
            if (m->hnb[i].flags & F_MALICIOUS)
                request_field(m, i);
        for (uint32_t i = 0; m->replace_all && i < m->n; i++)
            if (m->hnb[i].trust == TS_OP0)
                request_field(m, i);
        return;
    }
    schedule_rotation(m, ev->time, FALSE);
}

/* writable: the operator's H(e)MS writes its generation-1 set back over its own channel, then cleans over the air;
 * without hems in update_rights it cannot, and an HNB holding the attacker's set needs a field visit. */
static void write_back(Trust *m, uint32_t i)
{
    Node *h = &m->hnb[i];
    if (h->trust == TS_OP1)
        return;
    if (!writes(m, CR_HEMS, h->trust)) {
        if (h->trust == TS_ATT) {
            m->rotations_refused++;
            request_field(m, i);
        }
        return;
    }
    m->rotations_ok++;
    set_trust(m, i, TS_OP1);
    h->flags |= F_WRITTEN;
    if (h->flags & F_LOST) {
        h->flags &= ~F_LOST;
        m->lost_now--;
    }
    if ((h->flags & F_MALICIOUS) && accepts(m, OBJ_IMG_GEN1, TS_OP1)) {
        set_malicious(m, i, FALSE);
        m->recovered_ota++;
    }
}

/* The operator's rotation to generation 1 reaches HNB i. */
static void on_rotate(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Trust *m = ud;
    (void)sim;
    uint32_t i = ev->entity;
    Node *h = &m->hnb[i];
    if (m->mode == MODE_WRITABLE) {
        write_back(m, i);
        return;
    }
    if (h->trust == TS_OP1)
        return;
    if (!accepts(m, OBJ_UPD_OP1, h->trust)) {
        m->rotations_refused++;
        request_field(m, i); /* re-keyed by the attacker: only a new TrE brings it back */
        return;
    }
    m->rotations_ok++;
    set_trust(m, i, TS_OP1);
    if ((h->flags & F_MALICIOUS) && accepts(m, OBJ_IMG_GEN1, TS_OP1)) {
        set_malicious(m, i, FALSE);
        m->recovered_ota++;
    }
}

/* A field visit: a new TrE holding the generation-1 set, and a clean image it verifies. */
static void on_repaired(HnbSim *sim, uint32_t i, void *ud)
{
    Trust *m = ud;
    (void)sim;
    Node *h = &m->hnb[i];
    h->flags &= ~F_QUEUED;
    h->flags |= F_WRITTEN;
    if (h->flags & F_LOST) {
        h->flags &= ~F_LOST;
        m->lost_now--;
    }
    set_trust(m, i, TS_OP1);
    if ((h->flags & F_MALICIOUS) && accepts(m, OBJ_IMG_GEN1, TS_OP1)) {
        set_malicious(m, i, FALSE);
        m->recovered_field++;
    }
}

/* HNBs whose TrE would run the attacker's image if shown it. */
static uint64_t exposed(Trust *m)
{
    return (accepts(m, OBJ_IMG_MAL0, TS_OP0) ? m->in_state[TS_OP0] : 0) +
           (accepts(m, OBJ_IMG_MALATT, TS_ATT) ? m->in_state[TS_ATT] : 0);
}

static void on_sample(HnbSim *sim, const HnbEvent *ev, void *ud)
{
    Trust *m = ud;
    HnbFieldStats fs;
    hnb_field_stats(m->field, &fs);
    /* exposure counts from the moment a key leaks */
    double row[] = {
        hnb_time_to_sec(ev->time) / 3600.0,
        (double)m->mal_now,
        (double)m->lost_now,
        ev->time >= m->compromise ? (double)exposed(m) : 0,
        (double)(m->recovered_ota + m->recovered_field),
        (double)fs.truck_rolls,
        (double)fs.waiting,
    };
    hnb_series_add_row(m->series, row);
    if (ev->time + m->sample <= m->duration)
        hnb_sim_schedule(sim, ev->time + m->sample, m->k_sample, 0, 0);
}

/* ---- the model --------------------------------------------------------------------------------------------------- */

static Mode mode_of(const char *s)
{
    return strcmp(s, "fixed") == 0       ? MODE_FIXED
           : strcmp(s, "updatable") == 0 ? MODE_UPDATABLE
           : strcmp(s, "writable") == 0  ? MODE_WRITABLE
                                         : MODE_CHAINED;
}

/* update_rights: both is hems and tool, none neither */
static unsigned rights_of(const char *s)
{
    gboolean both = strcmp(s, "both") == 0;
    return (both || strcmp(s, "hems") == 0 ? RIGHT_HEMS : 0u) | (both || strcmp(s, "tool") == 0 ? RIGHT_TOOL : 0u);
}

static void params(Trust *m, const HnbScenario *sc, guint rep)
{
    uint64_t seed = (uint64_t)hnb_scenario_int(sc, "scenario", "seed");
    m->sc = sc;
    m->mode = mode_of(hnb_scenario_string(sc, "trust", "mode"));
    m->n = (uint32_t)hnb_scenario_int(sc, "fleet", "size");
    /* fixed, updatable and writable: one verification key (certificate), and the leak is that key; a legal
     * certificate leaks none */
    gboolean chained = m->mode == MODE_CHAINED;
    m->legal = strcmp(hnb_scenario_string(sc, "compromise", "kind"), "legal_cert") == 0;
    m->keys = chained ? (unsigned)hnb_scenario_int(sc, "trust", "keys") : 1;
    m->threshold = chained ? (unsigned)hnb_scenario_int(sc, "trust", "threshold") : 1;
    m->compromised_keys = m->legal ? 0 : chained ? (unsigned)hnb_scenario_int(sc, "compromise", "keys") : 1;
    m->update_rights = rights_of(hnb_scenario_string(sc, "trust", "update_rights"));
    m->revoke_delay = hnb_scenario_dist(sc, "operator", "revoke_delay");
    m->duration = hnb_scenario_time(sc, "scenario", "duration");
    m->sample = hnb_model_sample_interval(sc);
    m->compromise = hnb_scenario_time(sc, "compromise", "time");
    m->detection = hnb_scenario_dist(sc, "compromise", "detection");
    m->vector_tool = strcmp(hnb_scenario_string(sc, "attack", "vector"), "tool") == 0;
    m->rekey = hnb_scenario_bool(sc, "attack", "rekey");
    m->reach = hnb_scenario_dist(sc, "attack", "reach");
    m->fraction = hnb_scenario_number(sc, "attack", "fraction");
    m->tool_rate = hnb_scenario_number(sc, "attack", "tool_rate") * 3600.0; /* per hour */
    m->tool_region = (uint32_t)hnb_scenario_int(sc, "attack", "tool_region");
    m->rotate_reach = hnb_scenario_dist(sc, "operator", "rotate_reach");
    m->replace_all = strcmp(hnb_scenario_string(sc, "operator", "replace"), "all") == 0;
    m->s_attack = hnb_stream(seed, rep, "trust.attack");
    m->s_rotate = hnb_stream(seed, rep, "trust.rotate");
    m->s_detect = hnb_stream(seed, rep, "trust.detect");
    m->s_tool = hnb_stream(seed, rep, "trust.tool");
    m->s_revoke = hnb_stream(seed, rep, "trust.revoke");
}

static gboolean validate(const HnbScenario *sc, GError **error)
{
    const char *src = hnb_scenario_source(sc);
    if (strcmp(hnb_scenario_string(sc, "trust", "mode"), "writable") == 0 &&
        strcmp(hnb_scenario_string(sc, "compromise", "kind"), "legal_cert") != 0) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [trust] mode = writable needs [compromise] kind = legal_cert: a writable TrE is the seed's "
                    "case 2, an attacker holding management rights, not a signing key",
                    src);
        return FALSE;
    }
    /* [trust] update_rights outside writable is ignored, not refused, like keys and threshold outside chained: a
     * scenario.resolved.ini lists every key with its value, and must run again as it is */
    int64_t n = hnb_scenario_int(sc, "trust", "keys"), k = hnb_scenario_int(sc, "trust", "threshold"),
            c = hnb_scenario_int(sc, "compromise", "keys");
    if (strcmp(hnb_scenario_string(sc, "trust", "mode"), "chained") == 0 && (k > n || c > n)) {
        g_set_error(error, HNB_ERROR, HNB_ERROR_INPUT,
                    "%s: [trust] threshold = %" G_GINT64_FORMAT " and [compromise] keys = %" G_GINT64_FORMAT
                    " must not exceed [trust] keys = %" G_GINT64_FORMAT,
                    src, k, c, n);
        return FALSE;
    }
    HnbFieldParams fp;
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_field_params_from_scenario(&fp, sc, error) && hnb_pki_params_from_scenario(&pp, sc, error);
    hnb_pki_params_clear(&pp);
    return ok;
}

static void metrics(Trust *m, HnbMetrics *out)
{
    HnbFieldStats fs;
    hnb_field_stats(m->field, &fs);
    double mal_h = hnb_gauge_mean(&m->mal_gauge, m->duration) * hnb_time_to_sec(m->duration) / 3600.0;
    double mal_cost = mal_h * hnb_scenario_number(m->sc, "cost", "attacker_hour");
    hnb_metrics_add(out, "hnbs", "HNBs", m->n, "fleet size");
    hnb_metrics_add(out, "keys", "keys", m->keys, "verification keys in the TrE's set (n)");
    hnb_metrics_add(out, "threshold", "keys", m->threshold, "signatures an image or an update needs (k)");
    hnb_metrics_add(out, "keys_compromised", "keys", m->compromised_keys, "keys the attacker holds (c)");
    hnb_metrics_add(out, "detected_h", "h",
                    m->detected == HNB_TIME_NEVER ? NAN : hnb_time_to_sec(m->detected - m->compromise) / 3600.0,
                    "from the compromise to its detection");
    hnb_metrics_add(out, "attack_attempts", "attempts", (double)m->reached, "times the attacker reached an HNB");
    hnb_metrics_add(out, "compromised", "HNBs", (double)m->compromised, "HNBs that ran attacker code");
    hnb_metrics_add(out, "compromised_peak", "HNBs", (double)m->mal_peak, "most HNBs running attacker code at once");
    hnb_metrics_add(out, "compromised_end", "HNBs", (double)m->mal_now, "HNBs running attacker code at the end");
    hnb_metrics_add(out, "attacker_hnb_hours", "h", mal_h, "HNB-hours of attacker code");
    hnb_metrics_add(out, "lost", "HNBs", (double)m->lost, "TrEs the attacker re-keyed (refuse the operator)");
    hnb_metrics_add(out, "lost_end", "HNBs", (double)m->lost_now, "re-keyed TrEs not yet replaced at the end");
    hnb_metrics_add(out, "exposed_end", "HNBs", (double)exposed(m),
                    "HNBs whose TrE would still run the attacker's image at the end");
    hnb_metrics_add(out, "recovered_ota", "HNBs", (double)m->recovered_ota, "cleaned over the air after a rotation");
    hnb_metrics_add(out, "recovered_field", "HNBs", (double)m->recovered_field, "cleaned by a new TrE (field visit)");
    hnb_metrics_add(out, "recovered", "HNBs", (double)(m->recovered_ota + m->recovered_field),
                    "HNBs that ran attacker code and were cleaned");
    hnb_metrics_add(out, "clean_h", "h",
                    m->compromised && m->clean_at != HNB_TIME_NEVER
                        ? hnb_time_to_sec(m->clean_at - m->compromise) / 3600.0
                        : NAN,
                    "from the compromise until no HNB runs attacker code (empty if never, or none ran it)");
    hnb_metrics_add(out, "rotations_accepted", "HNBs", (double)m->rotations_ok, "TrEs that took the operator's rotation");
    hnb_metrics_add(out, "rotations_refused", "HNBs", (double)m->rotations_refused,
                    "TrEs that refused it (re-keyed by the attacker)");
    if (m->legal) {
        hnb_metrics_add(out, "revoked_h", "h",
                        m->revoked == HNB_TIME_NEVER ? NAN : hnb_time_to_sec(m->revoked - m->compromise) / 3600.0,
                        "legal_cert: from the compromise until the attacker's credential is refused");
        hnb_metrics_add(out, "rewrites", "HNBs", (double)m->rewrites,
                        "legal_cert, writable: the attacker's writes to a TrE after the operator's write-back "
                        "(the race)");
    }
    hnb_metrics_add(out, "field_visits", "visits", (double)fs.truck_rolls, "truck rolls started (TrE replacements)");
    hnb_metrics_add(out, "ship_backs", "units", (double)fs.ship_backs, "units shipped back for a new TrE");
    hnb_metrics_add(out, "field_waiting", "HNBs", (double)fs.waiting, "TrE replacements not started by the end");
    hnb_metrics_add(out, "field_cost", "cost", fs.cost, "truck rolls and ship-backs");
    hnb_metrics_add(out, "attacker_cost", "cost", mal_cost, "attacker HNB-hours x [cost] attacker_hour");
    hnb_metrics_add(out, "total_cost", "cost", fs.cost + mal_cost, "field + attacker HNB-hours");
    hnb_metrics_add(out, "verifications", "checks", (double)m->checks, "signature checks the HNBs asked for");
    hnb_metrics_add(out, "verifications_real", "checks", (double)m->checks_real,
                    "distinct (object, key set) pairs verified with real signatures (the rest reuse them)");
    hnb_metrics_add(out, "events", "events", (double)hnb_sim_events_run(m->sim), "kernel events run");
}

static gboolean run(const HnbScenario *sc, guint rep, HnbProgress *progress, HnbMetrics *out, HnbSeries **series,
                    HnbSeries **cdf, GError **error)
{
    static const char *const cols[] = {"time_h",    "attacker_code", "lost", "exposed", "recovered",
                                       "field_visits", "field_waiting"};
    static const char *const units[] = {"h", "HNBs", "HNBs", "HNBs", "HNBs", "visits", "HNBs"};
    (void)cdf;
    Trust *m = g_new0(Trust, 1);
    params(m, sc, rep);
    memset(m->verdict, -1, sizeof m->verdict);
    memset(m->writes_verdict, -1, sizeof m->writes_verdict);
    for (int c = 0; c < CR_COUNT; c++)
        m->rights[c] = -1;
    m->detected = m->clean_at = m->revoked = HNB_TIME_NEVER;
    HnbPkiParams pp;
    hnb_pki_params_init(&pp);
    gboolean ok = hnb_pki_params_from_scenario(&pp, sc, error) && (m->pki = hnb_pki_new(&pp, error)) != NULL &&
                  crypto_init(m, error);
    hnb_pki_params_clear(&pp);
    if (ok) {
        m->sim = hnb_sim_new();
        m->hnb = g_new0(Node, m->n); /* every TrE starts with the operator's generation-0 set */
        m->in_state[TS_OP0] = m->n;
        m->series = hnb_series_new(G_N_ELEMENTS(cols), cols, units);
        hnb_gauge_init(&m->mal_gauge, 0, 0);
        HnbFieldParams fp;
        hnb_field_params_from_scenario(&fp, sc, NULL); /* validated at load */
        m->field = hnb_field_new(m->sim, &fp, hnb_stream((uint64_t)hnb_scenario_int(sc, "scenario", "seed"), rep,
                                                         "field"),
                                 on_repaired, m);
        m->k_reach = hnb_sim_register(m->sim, "trust.reach", on_reach, m);
        m->k_tool = hnb_sim_register(m->sim, "trust.tool", on_tool, m);
        m->k_detect = hnb_sim_register(m->sim, "trust.detect", on_detect, m);
        m->k_rotate = hnb_sim_register(m->sim, "trust.rotate", on_rotate, m);
        m->k_sample = hnb_sim_register(m->sim, "trust.sample", on_sample, m);
        m->k_revoke = hnb_sim_register(m->sim, "trust.revoke", on_revoke, m);
        if (m->compromise <= m->duration) {
            if (m->vector_tool) {
                schedule_tool(m, m->compromise, 0);
            } else {
                for (uint32_t i = 0; i < m->n; i++) {
                    HnbRng r = hnb_rng_at(m->s_attack, i, 0);
                    if (hnb_rng_next(&r) >= m->fraction)
                        continue;
                    HnbTime at = m->compromise + hnb_dist_sample_time(m->reach, &r);
                    if (at <= m->duration)
                        hnb_sim_schedule(m->sim, at, m->k_reach, i, 0);
                }
            }
            HnbRng r = hnb_rng_at(m->s_detect, 0, 0);
            HnbTime at = m->compromise + hnb_dist_sample_time(m->detection, &r);
            if (at <= m->duration)
                hnb_sim_schedule(m->sim, at, m->k_detect, 0, 0);
        }
        if (m->sample <= m->duration)
            hnb_sim_schedule(m->sim, m->sample, m->k_sample, 0, 0);
        hnb_model_run_kernel(m->sim, m->duration, progress);
        metrics(m, out);
        *series = g_steal_pointer(&m->series);
    }
    if (m->field)
        hnb_field_free(m->field);
    if (m->series)
        hnb_series_free(m->series);
    if (m->sim)
        hnb_sim_free(m->sim);
    crypto_clear(m);
    g_free(m->hnb);
    g_free(m);
    return ok;
}

static const HnbKeySpec schema[] = {
    {"fleet", "size", HNB_KEY_INT, 0, "10000", "1", "16000000", NULL, "number of HNBs"},
    {"trust", "mode", HNB_KEY_ENUM, 0, "updatable", NULL, NULL, "fixed|updatable|chained|writable",
     "the TrE's verification certificate: fixed (never replaced), updatable (replaced by an update signed with the "
     "current key), chained (TUF-style: k of n current keys sign images and new key sets; rollback refused), "
     "writable (replaced by any session authenticated with update_rights, no signature: the seed's case 2; TS 33.320 "
     "6.1 leaves the update open)"},
    {"trust", "update_rights", HNB_KEY_ENUM, 0, "both", NULL, NULL, "hems|tool|both|none",
     "writable only: whose authenticated sessions may write the verification certificate: the H(e)MS, local "
     "maintenance tools (the seed's doubt 2: they carry H(e)MS rights), both, or none (then nobody, the operator "
     "included: field visits)"},
    {"trust", "keys", HNB_KEY_INT, 0, "5", "1", "16", NULL,
     "chained: keys in the set (n); fixed, updatable and writable have 1"},
    {"trust", "threshold", HNB_KEY_INT, 0, "3", "1", "16", NULL,
     "chained: signatures by distinct current keys an image or a new key set needs (k <= n)"},
    {"compromise", "time", HNB_KEY_NUMBER, HNB_UNIT_DURATION, "1d", "0s", "3650d", NULL,
     "when the attacker obtains signing keys (legal_cert: his credential)"},
    {"compromise", "kind", HNB_KEY_ENUM, 0, "signing_key", NULL, NULL, "signing_key|legal_cert",
     "what the attacker obtains: operator signing keys, or (the seed's case 2) a legal management credential and no "
     "key: by [attack] vector, the H(e)MS's (a rewritten entry) or a maintenance tool's certificate (a lost tool)"},
    {"compromise", "keys", HNB_KEY_INT, 0, "1", "0", "16", NULL,
     "chained: how many of the n keys the attacker obtains (fixed and updatable: the one key; legal_cert: none)"},
    {"compromise", "detection", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(1d,5d)", NULL, NULL, NULL,
     "from the compromise to the operator noticing it"},
    {"attack", "vector", HNB_KEY_ENUM, 0, "hems", NULL, NULL, "hems|tool",
     "how the attacker reaches HNBs: a rewritten H(e)MS entry (each reached HNB once, at its own delay) or a lost "
     "local tool (attempts at tool_rate within one region)"},
    {"attack", "rekey", HNB_KEY_BOOL, 0, "true", NULL, NULL, NULL,
     "updatable, chained, writable: the attacker first replaces the TrE's key set with its own (the seed's case 2), "
     "locking the operator out unless the TrE is writable by the operator's H(e)MS; false: it only installs its "
     "image, which the operator's rotation then cleans over the air"},
    {"attack", "reach", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(0s,1d)", NULL, NULL, NULL,
     "hems: from the compromise to the attacker's image reaching an HNB (its next periodic Inform)"},
    {"attack", "fraction", HNB_KEY_NUMBER, HNB_UNIT_FRACTION, "1", NULL, NULL, NULL,
     "hems: share of the fleet the rewritten H(e)MS entry reaches"},
    {"attack", "tool_rate", HNB_KEY_NUMBER, HNB_UNIT_RATE, "2/h", "0/s", NULL, NULL,
     "tool: attack attempts per unit time (each on an HNB drawn from the tool's region)"},
    {"attack", "tool_region", HNB_KEY_INT, 0, "500", "1", "16000000", NULL, "tool: HNBs within the tool's reach"},
    {"operator", "rotate_reach", HNB_KEY_DIST, HNB_UNIT_DURATION, "uniform(0s,1d)", NULL, NULL, NULL,
     "updatable, chained: from detection to the operator's key rotation reaching an HNB (its next session); writable: "
     "to its write-back, and again from the revocation"},
    {"operator", "revoke_delay", HNB_KEY_DIST, HNB_UNIT_DURATION, "1d", NULL, NULL, NULL,
     "legal_cert: from detection until the attacker's credential is refused (tool: the CRL listing it reaches every "
     "TrE; hems: the rewritten entry is closed)"},
    {"operator", "replace", HNB_KEY_ENUM, 0, "all", NULL, NULL, "all|compromised",
     "fixed: after detection, a new TrE for every HNB trusting the leaked key, or only for those running attacker code"},
    {"cost", "truck_roll", HNB_KEY_NUMBER, HNB_UNIT_NONE, "150", "0", NULL, NULL, "cost of one truck roll"},
    {"cost", "ship_back", HNB_KEY_NUMBER, HNB_UNIT_NONE, "60", "0", NULL, NULL, "cost of one ship-back"},
    {"cost", "attacker_hour", HNB_KEY_NUMBER, HNB_UNIT_NONE, "1", "0", NULL, NULL,
     "cost of one HNB-hour running attacker code (fraud, subscriber harm)"},
    HNB_KEY_END,
};

static const HnbFigure figures[] = {
    {"attacker", "HNBs running attacker code, re-keyed by the attacker, exposed", "HNBs",
     "attacker_code lost exposed", FALSE},
    {"recovery", "HNBs cleaned, field visits started and waiting", "HNBs",
     "recovered field_visits field_waiting", FALSE},
};

static const HnbCompareFigure compare_figures[] = {
    {"attacker-code", "HNBs running attacker code", "time (h)", "HNBs", HNB_COMPARE_SERIES, "attacker_code", FALSE,
     NULL, FALSE},
    {"exposed", "HNBs whose TrE would run the attacker's image", "time (h)", "HNBs", HNB_COMPARE_SERIES,
     "exposed", FALSE, NULL, FALSE},
    {"lost", "TrEs re-keyed by the attacker (lost to the operator)", "time (h)", "HNBs", HNB_COMPARE_SERIES,
     "lost", FALSE, NULL, FALSE},
    {"field-visits", "Field visits started (TrE replacements)", "time (h)", "visits", HNB_COMPARE_SERIES,
     "field_visits", FALSE, NULL, FALSE},
    {"recovered", "HNBs cleaned of attacker code (over the air or by a new TrE)", "time (h)", "HNBs",
     HNB_COMPARE_SERIES, "recovered", FALSE, NULL, FALSE},
    {"cost", "Operator cost: field visits and attacker HNB-hours", NULL, "cost", HNB_COMPARE_BAR, "total_cost",
     FALSE, NULL, FALSE},
};

static const HnbKeySpec *const shared_schemas[] = {hnb_field_schema, hnb_pki_schema, NULL};

const HnbModel hnb_model_trust = {
    .name = "trust",
    .doc = "the TrE verification certificate after a signing-key compromise: fixed, updatable or chained (k of n)",
    .schema = schema,
    .more_schemas = shared_schemas,
    .figures = figures,
    .nfigures = G_N_ELEMENTS(figures),
    .run = run,
    .validate = validate,
    .compare_figures = compare_figures,
    .ncompare_figures = G_N_ELEMENTS(compare_figures),
};
