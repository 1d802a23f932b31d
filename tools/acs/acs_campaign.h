/* tools/acs/acs_campaign.h — the recovery H(e)MS's download campaign: who gets a Download, when it starts, how often.
 *
 * One campaign object serves every CWMP session of `hnbsim acs` (one per published image); its state is per device
 * identity (the authenticated DeviceId, "OUI-SerialNumber") and outlives the sessions, so the retry policy sees the
 * device's earlier sessions (one small record per device seen; only devices whose certificate named them get one).
 * All calls take the object's mutex: sessions on several worker threads share it.
 *
 * What the Inform shows (TR-069 Amendment 6 A.3.3.1: the Inform carries the events of the session and the Forced
 * Inform parameters, DeviceInfo.SoftwareVersion among them; §3.7 session procedures):
 *   - PUBLISHED: SoftwareVersion is the published image's: nothing to do; the device's record says done;
 *   - GOLDEN: SoftwareVersion matches the golden (recovery) module's version (params.golden_version; a value ending in
 *     '*' is a prefix): the HNB booted its golden module, typically after its main image failed secure boot
 *     (its Inform then carries "1 BOOT", or "0 BOOTSTRAP" after a factory reset) — it gets a Download;
 *   - OTHER: any other SoftwareVersion: an older release, also brought to the published one by a Download;
 *   - UNKNOWN: no SoftwareVersion: the ACS cannot tell, no Download.
 * An Inform carrying "7 TRANSFER COMPLETE" announces a TransferComplete (A.3.3.2) in this session: the Download is
 * held until it has arrived (its FaultCode decides the retry; a CPE that does not deliver it keeps the event for its
 * next session, as A.3.3.2 has it retry delivery until acknowledged).
 *
 * Staggering (the simulation's `[download] campaign_rate`, models/image_server.h: Download RPCs per second, 0
 * unlimited, so one scenario key means the same in both).  The model queues an HNB until the rate allows its
 * Download; a real ACS cannot hold a CPE's session open that long, so it sends the Download at once with a
 * DelaySeconds (A.3.2.8: seconds the CPE waits before starting the transfer) that puts the start where the model
 * would have put the RPC: the k-th Download of the campaign starts at
 *     start_k = max(now_k, start_(k-1) + 1/rate),  start_0 = now_0,   DelaySeconds_k = ceil(start_k - now_k),
 * so when devices arrive together the k-th gets ceil(k / rate) and never a negative delay; downloads spread out no
 * faster than the rate (a start is never earlier than its slot: ceil).
 *
 * Retry policy.  Every Download sent counts one attempt for the device.  A TransferComplete with a FaultCode (9010
 * "download failure", 9017 "unable to complete download": a cut transfer, or an image whose signature or digest
 * failed the TrE's check, TS 33.320 §6.1) is recorded; the device still shows the old version at its next Inform and
 * gets the next Download, until max_attempts Downloads were sent: then the ACS stops offering and says gave_up.
 * A device that later informs with the published version is done, whatever its count.
 */
#ifndef HNB_ACS_CAMPAIGN_H
#define HNB_ACS_CAMPAIGN_H

#include <glib.h>

typedef struct {
    const char *published_version; /* the image's SoftwareVersion (copied) */
    const char *golden_version;    /* the golden module's, "PREFIX*" for a prefix; NULL: no golden recognised */
    double rate;                   /* Downloads per second (as [download] campaign_rate); 0: no staggering */
    guint max_attempts;            /* Downloads per device; 0: no limit */
} HnbAcsCampaignParams;

typedef enum {
    HNB_ACS_RUNS_UNKNOWN,   /* no SoftwareVersion in the Inform */
    HNB_ACS_RUNS_PUBLISHED,
    HNB_ACS_RUNS_GOLDEN,
    HNB_ACS_RUNS_OTHER,
} HnbAcsRuns;

const char *hnb_acs_runs_name(HnbAcsRuns r); /* "unknown" "published" "golden" "other" */

typedef enum {
    HNB_ACS_OFFER_NONE,    /* nothing to offer (published, unknown) */
    HNB_ACS_OFFER_DUE,     /* a Download is due at this session's empty POST */
    HNB_ACS_OFFER_GAVE_UP, /* due, but max_attempts Downloads were sent already */
} HnbAcsOffer;

typedef struct HnbAcsCampaign HnbAcsCampaign;

/* rate >= 0 and finite.  params are copied. */
HnbAcsCampaign *hnb_acs_campaign_new(const HnbAcsCampaignParams *params);
void hnb_acs_campaign_free(HnbAcsCampaign *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbAcsCampaign, hnb_acs_campaign_free)

/* What the SoftwareVersion says (events are not needed for that; see the contract above). */
HnbAcsRuns hnb_acs_campaign_classify(const HnbAcsCampaign *c, const char *software_version);

/* An accepted Inform of `device`: records what it runs and returns whether a Download is due.  *runs (may be NULL)
 * gets the classification. */
HnbAcsOffer hnb_acs_campaign_inform(HnbAcsCampaign *c, const char *device, const char *software_version,
                                    HnbAcsRuns *runs);

/* A Download to `device` goes out now (`now_us`: g_get_monotonic_time or any clock in microseconds that does not go
 * back).  Counts the attempt; *delay_s gets its DelaySeconds and *attempt its number (1 for the first).  FALSE (and
 * nothing counted) if the device has used up its attempts meanwhile (a parallel session). */
gboolean hnb_acs_campaign_download(HnbAcsCampaign *c, const char *device, gint64 now_us, guint *delay_s,
                                   guint *attempt);

/* The device's TransferComplete FaultCode (0: success; -1: unreadable). */
void hnb_acs_campaign_transfer(HnbAcsCampaign *c, const char *device, int fault_code);

/* Counters, for the log and the tests. */
typedef struct {
    guint devices;       /* devices seen (any classification but unknown) */
    guint64 downloads;   /* Downloads sent */
    guint64 transfers_ok, transfers_failed; /* TransferComplete with FaultCode 0 / other */
    guint gave_up;       /* devices refused a Download for max_attempts */
    guint done;          /* devices that informed with the published version after a Download */
} HnbAcsCampaignStats;
void hnb_acs_campaign_stats(HnbAcsCampaign *c, HnbAcsCampaignStats *out);

/* params.max_attempts (0: no limit). */
guint hnb_acs_campaign_max_attempts(const HnbAcsCampaign *c);

/* The device's attempts so far (0 for a device never seen). */
guint hnb_acs_campaign_attempts(HnbAcsCampaign *c, const char *device);

#endif
