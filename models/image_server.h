/* models/image_server.h — the fleet's image server and the H(e)MS's download campaign: download.c's fair sharing of
 * one bandwidth behind one kernel event that always stands for the earliest completion, a cap on the downloads that
 * run at once with a FIFO queue for the others, a campaign rate, HTTP Range resume, and TransferComplete faults.
 *
 * How an HNB gets its image (TR-069 Amendment 6): in a session the H(e)MS has a Download for it (A.3.2.8), so the HNB
 * asks the campaign for a slot (hnb_image_server_request).  If one is free and the campaign rate allows another
 * Download RPC now, the RPC goes out in that session and the HNB starts at its end (hnb_image_server_start).
 * Otherwise the HNB joins the FIFO queue and the session ends without a Download; when a slot is its turn, the server
 * calls `granted` — the H(e)MS sends a Connection Request (TR-069 3.2.2), the HNB opens a session at once, and that
 * session carries the Download (request then answers TRUE: the slot is reserved for it until it starts or restarts).
 * A download ends in `done` (called from the server's "download.done" event before it re-aims the event, so what the
 * HNB schedules there comes first among equal times), or is cut: by the HNB's timeout (hnb_image_server_cancel, the
 * CPE still up) or by a reboot or power loss (hnb_image_server_restart).  The CPE reports a cut download in its next
 * session's TransferComplete (A.3.3.2) with a FaultCode; the server counts the faults by code.
 *
 * Resume ([download] resume, RFC 7233): a download cut by the timeout leaves its bytes with the HNB, and its next
 * download is a Range request for the rest (§3.1, answered 206 Partial Content §4.1).  A restart loses them: the model
 * verifies an image before it writes it (hnb.c's install), so a partial image lives in RAM.
 */
#ifndef HNB_IMAGE_SERVER_H
#define HNB_IMAGE_SERVER_H

#include "models/download.h"
#include "sim/sim.h"
#include "sim/stats.h"

typedef struct {
    double bandwidth;        /* [download] bandwidth, bit/s, shared fairly */
    double image_bytes;      /* [download] image_size: every download is the release image */
    uint32_t max_concurrent; /* [download] max_concurrent: slots (granted + running); 0: no cap */
    double campaign_rate;    /* [download] campaign_rate: Download RPCs per second; 0: unlimited */
    gboolean resume;         /* [download] resume: a download cut by the timeout resumes with a Range request */
} HnbImageServerParams;

/* TransferComplete FaultCodes of a cut download (TR-069 Amendment 6, A.3.3.2 and the CPE fault code table of A.5.1;
 * the names are those of the cwmp-1-2 schema; Amendment 1 called them "Download failure ..."). */
typedef enum {
    HNB_DL_FAULT_9010, /* 9010 "File transfer failure": the transfer died with the CPE's reboot or power loss */
    HNB_DL_FAULT_9017, /* 9017 "File transfer failure: unable to complete download": the CPE's timeout */
    HNB_DL_FAULT_COUNT
} HnbDlFault;

unsigned hnb_dl_fault_code(HnbDlFault f); /* 9010, 9017 */

typedef struct {
    uint64_t started, completed, failed; /* failed: cut (timeout, reboot, power loss) = Σ faults */
    uint64_t faults[HNB_DL_FAULT_COUNT];
    uint64_t resumed;                    /* downloads started as a Range request for the rest of an image */
    uint64_t queued;                     /* requests that waited in the queue and were granted */
    double queue_wait_s;                 /* their total wait, from request to grant, s */
    uint64_t queue_peak;                 /* most HNBs waiting at once */
    double peak_bps;                     /* highest aggregate rate */
    HnbTime first_start, last_done;      /* -1 until the first download starts / completes */
    /* each download completed within the run: its bytes (a resumed one's remainder) x 8 / its time from start (the
     * first byte, measured) to done, Mbit/s; one that had nothing left to send (no time) is not in it */
    HnbTally mbps;
} HnbImageServerStats;

typedef struct HnbImageServer HnbImageServer;

/* What the server tells the HNBs; every function gets `ctx` first. */
typedef struct {
    /* a queued HNB's turn: the H(e)MS sends it a Connection Request; its next session's request answers TRUE */
    void (*granted)(void *ctx, uint32_t hnb);
    /* its download is complete (called from the server's event) */
    void (*done)(void *ctx, uint32_t hnb);
    /* its download failed at the server's end (a real H(e)MS: the transfer cut or refused, or its manifest does not
     * verify), handled as the HNB's own timeout; the model's server never calls it (models/hems.h) */
    void (*failed)(void *ctx, uint32_t hnb, HnbDlFault fault);
} HnbImageServerClient;

/* Registers its event kinds.  params are copied; the client table is borrowed for the part's life. */
HnbImageServer *hnb_image_server_new(HnbSim *sim, const HnbImageServerParams *p, const HnbImageServerClient *client,
                                     void *ctx);
void hnb_image_server_free(HnbImageServer *s);

/* The H(e)MS has a Download for HNB `hnb` in the session ending now.  TRUE: the Download RPC goes out (a slot is
 * reserved for it): call hnb_image_server_start now.  FALSE: it waits in the queue (joined now, or already there) for
 * `granted`.  Never while its download runs. */
gboolean hnb_image_server_request(HnbImageServer *s, uint32_t hnb);
/* HNB `hnb` starts downloading the release image now — or, with resume, the rest of it — over its reserved slot,
 * capped by its access link (bit/s, > 0).  Schedules the server's event: an HNB that times its download schedules its
 * timer first. */
void hnb_image_server_start(HnbImageServer *s, uint32_t hnb, double cap_bps);
/* Its running download is cut now by the HNB's own timeout (TransferComplete fault 9017): the others speed up, its
 * slot goes to the next in the queue; with resume the HNB keeps the bytes it received. */
void hnb_image_server_cancel(HnbImageServer *s, uint32_t hnb);
/* HNB `hnb` restarts (reboot, power loss): a running download is cut (fault 9010); its place in the queue, a slot
 * reserved for it and any bytes it held are dropped (the H(e)MS learns of the restart from the boot Inform, whose
 * session asks again if it still needs the image).  TRUE if a download was cut (the CPE reports it after the boot). */
gboolean hnb_image_server_restart(HnbImageServer *s, uint32_t hnb);

const HnbImageServerStats *hnb_image_server_stats(const HnbImageServer *s);
size_t hnb_image_server_active(const HnbImageServer *s);          /* downloads running now */
size_t hnb_image_server_waiting(const HnbImageServer *s);         /* HNBs in the queue now */
double hnb_image_server_bytes_delivered(HnbImageServer *s, HnbTime now); /* total so far */

#endif
