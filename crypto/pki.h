/* crypto/pki.h — the simulated PKI of TS 33.320: operator root CA, H(e)MS server certificate, manufacturer CA, one
 * device certificate per HNB, the software-signing key with the verification certificate the TrE holds, a CRL, and
 * the recovery CA with one recovery certificate per HNB for its golden module.
 *
 * API FROZEN */
/*
 * Who signs what (TS 33.320 §7, §8.3.3.1):
 *   operator root CA (self-signed) ┬─ H(e)MS server certificate (RSA-2048, SAN dNSName = hems_fqdn)
 *                                  └─ SeGW certificate (segw_key, SAN dNSName = segw_fqdn; §7.1/§7.3: the HNB
 *                                     authenticates the SeGW by it in IKEv2, crypto/ike_job.h)
 *   manufacturer CA (self-signed)  ┬─ device certificate of HNB i: subject CN and SAN dNSName = "<EUI-64>.<realm>",
 *                                  │  serial i + 1, key ec-p256 (default) or rsa-2048
 *                                  ├─ software-signing (verification) certificate, serial HNB_PKI_SIGNING_SERIAL
 *                                  └─ CRL listing the serials of the revoked devices
 *   operator root CA ── maintenance-tool CA ┬─ tool certificate of tool n (generation g): subject CN "tool-<n>",
 *                                           │  SAN dNSName = its scope, "region-<r>.tools.<realm>" or
 *                                           │  "*.tools.<realm>"; serial HNB_PKI_TOOL_SERIAL(n, g); RSA-2048
 *                                           └─ CRLs of revoked tools, made on demand (publications over time)
 *   recovery CA (self-signed)      ┬─ recovery certificate of HNB i (its golden module's): the same subject CN and
 *                                  │  SAN dNSName "<EUI-64>.<realm>" as its device certificate, serial i + 1, key
 *                                  │  type device_key, valid recovery_issued_before .. + recovery_lifetime
 *                                  └─ recovery CRL: the same revoked HNBs as the device CRL
 *   foreign CA (self-signed, trusted by nobody) ── foreign device certificates, to produce "unknown CA" outcomes
 * The HNB trusts the operator root; the H(e)MS and the SeGW trust the manufacturer CA and check its CRL.  A local
 * maintenance tool acts as an H(e)MS towards the HNB: the HNB checks its chain to the root, its scope name and the
 * tool CA's CRL.
 *
 * Recovery: the golden module (a read-only recovery image) must still reach the SeGW and the H(e)MS when the main
 * image and, with it, the TrE-held device credential are unusable (the device credential of TS 33.320 §7.3 is the
 * main image's; a recovery image cannot rely on it).  It gets its own credential from a CA of its own, so that the
 * SeGW and the H(e)MS can accept it for a recovery session only: they trust the recovery CA in a recovery session and
 * the manufacturer CA otherwise, never both (crypto/ike_job.h, crypto/tls_engine.h).  An operator revoking a stolen
 * HNB revokes both of its credentials: the recovery CRL lists the same serials as the device CRL.  Its lifetime
 * defaults to 20 years (7300d), longer than the device's, since a read-only image cannot be given a renewed
 * certificate.
 *
 * Times: simulated t = 0 is `epoch` (Unix seconds, default 2026-01-01T00:00:00Z).  Each certificate is valid from
 * epoch - <x>_issued_before to that + <x>_lifetime.  Nothing in a result may depend on key bytes: handshake outcomes
 * depend only on validity windows, names and revocation, which are deterministic.
 *
 * Identity: HNB i's EUI-64 is the 24-bit OUI followed by the 40-bit extension i (16 upper-case hex digits), e.g. OUI
 * 02484E, i = 7 -> "02484E0000000007"; its CWMP DeviceId maps to it as OUI = the first 6 digits, SerialNumber = the
 * other 10.
 *
 * Cache: everything is generated once and kept under <cache_dir>/<hash of the parameters>/ (the CAs in ca.pem, device
 * i in dev/<i / 1000>/<i>.pem, its recovery credential in rec/<i / 1000>/<i>.pem).  Device and recovery certificates
 * are made lazily on first use.  Files are written to a temporary name and then linked (CAs: first writer wins, later
 * ones load the winner) or renamed (devices) into place, so concurrent runs are safe; a file that does not parse,
 * whose key does not match, or that our CA did not sign is regenerated with a g_warning.  The revoked set is not part
 * of the hash (the CRLs are re-signed at each init).
 *
 * Thread safety: after hnb_pki_new() every function may be called from any thread; hnb_pki_device() serialises
 * generation internally.  Returned objects are owned by the HnbPki and live as long as it does.
 */
#ifndef HNB_PKI_H
#define HNB_PKI_H

#include <glib.h>
#include <stdint.h>
#include <openssl/types.h>
#include <openssl/x509.h>
#include "sim/scenario.h"
#include "sim/time.h"

typedef enum { HNB_PKI_KEY_EC_P256, HNB_PKI_KEY_RSA_2048, HNB_PKI_KEY_RSA_4096 } HnbPkiKeyType;

/* serial of the software-signing certificate (device serials are index + 1, below 2^32 + 1) */
#define HNB_PKI_SIGNING_SERIAL (UINT64_C(1) << 40)
/* serial of tool n's certificate number gen (n, gen < HNB_PKI_TOOL_MAX) */
#define HNB_PKI_TOOL_MAX (UINT32_C(1) << 20)
#define HNB_PKI_TOOL_SERIAL(n, gen) ((UINT64_C(1) << 41) | ((uint64_t)(n) << 20) | (uint64_t)(gen))

typedef struct {
    gint64 epoch;          /* Unix seconds of simulated t = 0 */
    char *realm;           /* device FQDN realm, e.g. "hnb.operator.example" */
    char *hems_fqdn;       /* H(e)MS host name (the HTTPS URL's host) */
    char *oui;             /* 6 upper-case hex digits */
    HnbPkiKeyType device_key;
    HnbPkiKeyType ca_key;  /* root, manufacturer and foreign CA keys */
    HnbPkiKeyType signing_key; /* software-signing key: ec-p256 -> ECDSA, rsa-2048 -> RSA-PSS */
    /* validity: [epoch - issued_before, epoch - issued_before + lifetime], in ns */
    HnbTime ca_issued_before, ca_lifetime;
    HnbTime hems_issued_before, hems_lifetime;
    HnbPkiKeyType hems_key; /* the H(e)MS server key: rsa-2048 (default) or rsa-4096 */
    /* H(e)MS certificate renewal (0: none): from simulated time hems_renewal_at the H(e)MS presents a new certificate
     * valid from hems_renewal_at - hems_renewal_lead for hems_lifetime.  Made in memory, not cached. */
    HnbTime hems_renewal_at, hems_renewal_lead;
    HnbTime device_issued_before, device_lifetime;
    HnbTime signing_issued_before, signing_lifetime;
    HnbTime crl_lifetime;  /* CRL thisUpdate = epoch - 1d, nextUpdate = epoch + crl_lifetime */
    /* The Security Gateway (TS 33.320 §7.1, §7.3): its certificate, issued by the operator root, names it by
     * segw_fqdn (SAN dNSName, which the HNB checks); key type segw_key (default rsa-2048, like the H(e)MS). */
    char *segw_fqdn;
    HnbPkiKeyType segw_key;
    HnbTime segw_issued_before, segw_lifetime;
    /* the golden module's recovery credentials (issued by the recovery CA) */
    HnbTime recovery_issued_before, recovery_lifetime;
    uint32_t *revoked;     /* sorted device indices, no duplicates */
    guint nrevoked;
    char *cache_dir;       /* NULL or "": $XDG_CACHE_HOME/hnbsim (g_get_user_cache_dir()) */
    gboolean no_cache;     /* keep everything in memory only (tests, `hnbsim pki` uses the cache) */
} HnbPkiParams;

/* The [pki] scenario group: epoch, realm, hems_fqdn, segw_fqdn, oui, device_key, ca_key, signing_key, segw_key,
 * <x>_issued_before, <x>_lifetime, crl_lifetime, revoked ("3,10-12"), cache_dir. */
extern const HnbKeySpec hnb_pki_schema[];

/* Defaults (what hnb_pki_schema's defaults give).  _clear frees the strings and the revoked array. */
void hnb_pki_params_init(HnbPkiParams *p);
void hnb_pki_params_clear(HnbPkiParams *p);
/* From a scenario loaded with hnb_pki_schema.  HNB_ERROR_INPUT naming the key on a bad epoch/oui/revoked list. */
gboolean hnb_pki_params_from_scenario(HnbPkiParams *p, const HnbScenario *sc, GError **error);
/* Parse "2026-01-01T00:00:00Z" (ISO 8601, UTC or with offset) to Unix seconds. */
gboolean hnb_pki_parse_epoch(const char *text, gint64 *out, GError **error);
/* Parse "3,10-12" into a sorted, de-duplicated array ("" gives none). */
gboolean hnb_pki_parse_revoked(const char *text, uint32_t **out, guint *n, GError **error);

typedef struct HnbPki HnbPki;

/* A certificate with its key and the chain to send after it (intermediates only; empty for this PKI's leaves). */
typedef struct {
    X509 *cert;
    EVP_PKEY *key;
    STACK_OF(X509) *chain; /* never NULL */
} HnbPkiCred;

/* Load the CAs, H(e)MS and signing credentials from the cache or generate them; build the CRL.  Copies `params`.
 * HNB_ERROR_INPUT for bad parameters, HNB_ERROR_RUN for cache I/O or OpenSSL failures (message has OpenSSL's words). */
HnbPki *hnb_pki_new(const HnbPkiParams *params, GError **error);
void hnb_pki_free(HnbPki *pki);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbPki, hnb_pki_free)

const HnbPkiParams *hnb_pki_params(const HnbPki *pki);
/* the cache directory of these parameters (NULL with no_cache) */
const char *hnb_pki_cache_path(const HnbPki *pki);

const HnbPkiCred *hnb_pki_root(const HnbPki *pki);    /* operator root CA */
const HnbPkiCred *hnb_pki_mfr(const HnbPki *pki);     /* manufacturer CA */
const HnbPkiCred *hnb_pki_foreign(const HnbPki *pki); /* a CA nobody trusts */
const HnbPkiCred *hnb_pki_hems(const HnbPki *pki);    /* H(e)MS server certificate */
/* The renewed H(e)MS certificate (NULL without hems_renewal_at), and the one the H(e)MS presents at simulated time t. */
const HnbPkiCred *hnb_pki_hems_renewed(const HnbPki *pki);
const HnbPkiCred *hnb_pki_hems_at(const HnbPki *pki, HnbTime t);
const HnbPkiCred *hnb_pki_signing(const HnbPki *pki); /* software-signing key + verification certificate */
/* The SeGW's certificate and key (TS 33.320 §7.1/§7.3), issued by the operator root, part of the CA set (made once
 * per parameter hash and cached with it in ca.pem). */
const HnbPkiCred *hnb_pki_segw(const HnbPki *pki);
X509_CRL *hnb_pki_crl(const HnbPki *pki);             /* issued by the manufacturer CA */
/* The recovery CA (self-signed, key type ca_key, part of the CA set and cached with it in ca.pem) and its CRL, which
 * lists the same revoked HNBs as hnb_pki_crl (serial i + 1; thisUpdate and nextUpdate as hnb_pki_crl's). */
const HnbPkiCred *hnb_pki_recovery_ca(const HnbPki *pki);
X509_CRL *hnb_pki_recovery_crl(const HnbPki *pki);
const HnbPkiCred *hnb_pki_tool_ca(const HnbPki *pki); /* maintenance-tool CA, issued by the operator root */

/* Local maintenance tools (H(e)MS rights on site).  Tool n's certificate number gen, valid [not_before, not_after]
 * (simulated times), scoped to `region` (>= 0) or to every region (-1); chain = the tool CA.  One RSA-2048 key per
 * tool (the named key "tool-<n>", cached), shared by its certificates; the certificates are made on first use in
 * memory (a run uses few) and owned by the PKI.  NULL with HNB_ERROR_RUN on failure. */
const HnbPkiCred *hnb_pki_tool(HnbPki *pki, uint32_t n, uint32_t gen, int region, HnbTime not_before,
                               HnbTime not_after, GError **error);
/* The name an HNB of `region` expects a tool's certificate to carry: "region-<r>.tools.<realm>".  Newly allocated. */
char *hnb_pki_tool_host(const HnbPki *pki, uint32_t region);
/* A CRL of the tool CA revoking `serials`: thisUpdate = this_update (simulated time), nextUpdate = this_update +
 * crl_lifetime.  The caller frees it. */
X509_CRL *hnb_pki_tool_crl(HnbPki *pki, const uint64_t *serials, guint n, HnbTime this_update, GError **error);

/* A named key (the TrE verification key sets of models/trust.c, tool keys): kept under <cache>/keys/<name>.pem, made
 * on first use; in memory only without a cache.  Names: [a-z0-9.-], at most 64; a name keeps the type it was first
 * asked with (a cached file of the other type is replaced).  Owned by the PKI. */
EVP_PKEY *hnb_pki_key(HnbPki *pki, const char *name, HnbPkiKeyType type, GError **error);

/* HNB i's device credentials, generated (or read from the cache) on first use, then kept in memory.  NULL with
 * HNB_ERROR_RUN on failure. */
const HnbPkiCred *hnb_pki_device(HnbPki *pki, uint32_t i, GError **error);
/* A device certificate with HNB i's identity but issued by the foreign CA (memory only, not cached on disk). */
const HnbPkiCred *hnb_pki_foreign_device(HnbPki *pki, uint32_t i, GError **error);
/* HNB i's recovery credential (its golden module's): a key of type device_key and a certificate issued by the recovery
 * CA with the device certificate's identity (subject CN and SAN dNSName "<EUI-64>.<realm>", so hnb_pki_cert_identity
 * gives the same identity), serial i + 1, valid [epoch - recovery_issued_before, + recovery_lifetime].  Made on
 * first use and cached on disk like device credentials (rec/<i / 1000>/<i>.pem; an export's rec-dev<i>.pem/.key;
 * in memory only without a cache), then kept in memory.  Counted in the device stats.  NULL with HNB_ERROR_RUN on
 * failure. */
const HnbPkiCred *hnb_pki_recovery_device(HnbPki *pki, uint32_t i, GError **error);
/* HNB i's device credential (recovery: its recovery credential) for one use, as a reference the caller frees with
 * hnb_pki_cred_free: the same credential as hnb_pki_device / hnb_pki_recovery_device give, but when the PKI's cache
 * or export can give it back the PKI keeps at most HNB_PKI_PARSED_MAX of each kind parsed (~8.5 KB each), letting the
 * oldest go (read again, ~0.2 ms, when next needed), so that a national fleet does not hold one per HNB for the whole
 * run.  One already kept by hnb_pki_device is shared.  Thread-safe.  NULL with HNB_ERROR_RUN on failure. */
#define HNB_PKI_PARSED_MAX 16384
HnbPkiCred *hnb_pki_device_ref(HnbPki *pki, uint32_t i, gboolean recovery, GError **error);
/* Tests: keep at most n >= 1 of each kind parsed instead of HNB_PKI_PARSED_MAX; only before the first
 * hnb_pki_device_ref. */
void hnb_pki_set_parsed_max(HnbPki *pki, guint n);
gboolean hnb_pki_is_revoked(const HnbPki *pki, uint32_t i);

/* Identity. */
void hnb_pki_eui64(const HnbPki *pki, uint32_t i, char out[17]);       /* "02484E0000000007" */
char *hnb_pki_device_fqdn(const HnbPki *pki, uint32_t i);              /* "02484E0000000007.<realm>" */
void hnb_pki_device_id(const HnbPki *pki, uint32_t i, char oui[7], char serial[11]); /* CWMP DeviceId fields */
/* The identity a device certificate carries: its SAN dNSName of the form "<16 hex>.<realm>", which must also be its
 * subject CN.  NULL if absent, malformed, or CN and SAN differ.  Newly allocated. */
char *hnb_pki_cert_identity(X509 *cert);
/* The identity a CWMP DeviceId claims: "<OUI><SerialNumber>.<realm>" when oui is 6 and serial 10 hex digits (case
 * folded to upper), else NULL.  Newly allocated. */
char *hnb_pki_claimed_identity(const char *oui, const char *serial, const char *realm);

/* Counters for tests and reports (cumulative since hnb_pki_new). */
typedef struct {
    guint ca_generated;      /* 1 when the CA set was made by this process, 0 when read from the cache */
    guint devices_generated; /* device and recovery credentials made (fresh or replacing a corrupted file) */
    guint devices_loaded;    /* device and recovery credentials read from the cache */
    guint corrupted;         /* cache files found corrupted and regenerated */
    guint parsed_dropped;    /* parsed credentials hnb_pki_device_ref let go (read again when next needed) */
} HnbPkiStats;
void hnb_pki_stats(HnbPki *pki, HnbPkiStats *out);

/* Write PEM files for external tools into `dir` (created; must be empty or absent unless force): root.pem root.key
 * mfr.pem mfr.key foreign.pem foreign.key hems.pem hems.key hems-chain.pem (hems + root) segw.pem segw.key
 * signing.pem signing.key crl.pem tool-ca.pem tool-ca.key recovery-ca.pem recovery-ca.key recovery-crl.pem, dev<i>.pem
 * dev<i>.key rec-dev<i>.pem rec-dev<i>.key for i < ndevices, foreign-dev0.pem foreign-dev0.key,
 * pki.ini (the parameters, for hnb_pki_open_export) and README.txt listing them.  HNB_ERROR_INPUT when dir is
 * non-empty and !force, HNB_ERROR_RUN on I/O failure. */
gboolean hnb_pki_export(HnbPki *pki, const char *dir, uint32_t ndevices, gboolean force, GError **error);

/* Open a directory written by hnb_pki_export() (or `hnbsim pki --out`) as an in-memory PKI: its CAs, H(e)MS, SeGW and
 * signing credentials and CRL; parameters (epoch, realm, hems_fqdn, segw_fqdn, oui, key types) from its pki.ini (an
 * export made before the SeGW existed gets one made in memory under its root; one made before the recovery CA
 * existed gets a recovery CA made in memory, with a recovery CRL of the device CRL's revoked HNBs).
 * hnb_pki_device(i) reads dev<i>.pem/.key from the directory when present, else makes one in memory with the
 * directory's manufacturer key; hnb_pki_recovery_device(i) likewise with rec-dev<i>.pem/.key and the recovery CA.
 * HNB_ERROR_INPUT naming the file on anything missing or unreadable. */
HnbPki *hnb_pki_open_export(const char *dir, GError **error);
/* One credential of an export, NAME.pem and NAME.key of `dir` ("dev7", "rec-dev7"), read into a new HnbPkiCred that
 * the caller frees with hnb_pki_cred_free: for a caller that keeps a few of many devices at a time (the drive's
 * bounded cache, tools/drive/client.c) where hnb_pki_device() would keep every one read for the PKI's life.  The key
 * must match the certificate.  NULL with HNB_ERROR_INPUT naming the file. */
HnbPkiCred *hnb_pki_read_export_cred(const char *dir, const char *name, GError **error);
void hnb_pki_cred_free(HnbPkiCred *cred);
/* A new reference to cred's certificate, key and chain, to be freed with hnb_pki_cred_free (NULL gives NULL). */
HnbPkiCred *hnb_pki_cred_ref(const HnbPkiCred *cred);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbPkiCred, hnb_pki_cred_free)
/* The same for many credentials of one export: the reader keeps a key decoder per key type (OpenSSL 3 builds one for
 * every PEM_read_bio_PrivateKey: ~10x the CPU of decoding with a kept one).  Single-threaded; the credentials it
 * returns are the caller's, independent of the reader. */
typedef struct HnbPkiCredReader HnbPkiCredReader;
HnbPkiCredReader *hnb_pki_cred_reader_new(const char *dir);
HnbPkiCred *hnb_pki_cred_reader_read(HnbPkiCredReader *r, const char *name, GError **error);
void hnb_pki_cred_reader_free(HnbPkiCredReader *r); /* NULL is ignored */


#endif
