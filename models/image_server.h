/* models/image_server.h — the fleet's image server: download.c's fair sharing of one bandwidth, driven by one kernel
 * event that always stands for the earliest completion.
 *
 * HNBs start and cancel downloads; the server calls `done` from its "download.done" event when one completes (before
 * it re-aims its event, so what the HNB schedules there comes first among equal times).
 */
#ifndef HNB_IMAGE_SERVER_H
#define HNB_IMAGE_SERVER_H

#include "models/download.h"
#include "sim/sim.h"

typedef struct {
    double bandwidth;   /* [download] bandwidth, bit/s, shared fairly */
    double image_bytes; /* [download] image_size: every download is the release image */
} HnbImageServerParams;

typedef struct {
    uint64_t started, completed, failed; /* failed: cancelled (timeout, reboot, power loss) */
    double peak_bps;                     /* highest aggregate rate */
} HnbImageServerStats;

typedef struct HnbImageServer HnbImageServer;

/* HNB `hnb`'s download is complete (called from the server's event). */
typedef void (*HnbImageServerDone)(void *ctx, uint32_t hnb);

/* Registers its event kind.  params are copied. */
HnbImageServer *hnb_image_server_new(HnbSim *sim, const HnbImageServerParams *p, HnbImageServerDone done, void *ctx);
void hnb_image_server_free(HnbImageServer *s);

/* HNB `hnb` starts downloading the release image now, capped by its access link (bit/s, > 0).  Schedules the
 * server's event: an HNB that times its download schedules its timer first. */
void hnb_image_server_start(HnbImageServer *s, uint32_t hnb, double cap_bps);
/* Its download is cut now (timeout, power loss): counted as failed; the others speed up. */
void hnb_image_server_cancel(HnbImageServer *s, uint32_t hnb);
/* As cancel, but the completion event is not re-aimed until the next change: what a reboot has always done (kept so
 * that results stay identical; the event may then come late, or for the cut download).  Do not use in new code. */
void hnb_image_server_cancel_stale(HnbImageServer *s, uint32_t hnb);

const HnbImageServerStats *hnb_image_server_stats(const HnbImageServer *s);
size_t hnb_image_server_active(const HnbImageServer *s);          /* downloads running now */
double hnb_image_server_bytes_delivered(HnbImageServer *s, HnbTime now); /* total so far */

#endif
