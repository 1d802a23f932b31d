/* models/download.h — the image server: a total bandwidth shared fairly by concurrent downloads, each also capped by
 * its HNB's access link (max-min fairness: a download whose cap is below the fair share gets its cap, the others share
 * what is left equally).
 *
 * Event-driven and exact: rates change only when a download starts, ends or is cancelled; between such moments every
 * download progresses linearly.  The owner (a model) asks for the next completion after each change and keeps one
 * kernel event scheduled for it.  Cost per start/finish/cancel: O(log n) amortised — 1e5 concurrent downloads must
 * not cost O(n) per event.
 */
#ifndef HNB_DOWNLOAD_H
#define HNB_DOWNLOAD_H

#include <glib.h>
#include <stdint.h>
#include "sim/time.h"

typedef struct HnbDownloads HnbDownloads;

/* bandwidth: total server rate in bit/s (> 0). */
HnbDownloads *hnb_downloads_new(double bandwidth_bps);
void hnb_downloads_free(HnbDownloads *d);

/* Start download `id` (unique among active ones; e.g. an HNB index) of `bytes` at time now, capped at cap_bps (> 0;
 * INFINITY for no cap).  now must not go backwards across calls. */
void hnb_downloads_start(HnbDownloads *d, HnbTime now, uint32_t id, double bytes, double cap_bps);

/* Stop an active download (timeout, power loss); returns the bytes it had received. */
double hnb_downloads_cancel(HnbDownloads *d, HnbTime now, uint32_t id);

/* The earliest completion among active downloads: TRUE and its time and id, or FALSE if none is active.  The time is
 * rounded up to whole ns, so at that time the download is complete. */
gboolean hnb_downloads_next(HnbDownloads *d, HnbTime now, HnbTime *when, uint32_t *id);

/* Remove the completed download `id` at time now (== the time hnb_downloads_next gave). */
void hnb_downloads_finish(HnbDownloads *d, HnbTime now, uint32_t id);

size_t hnb_downloads_active(const HnbDownloads *d);
double hnb_downloads_rate(const HnbDownloads *d);           /* current aggregate rate, bit/s (<= bandwidth) */
double hnb_downloads_bytes_delivered(HnbDownloads *d, HnbTime now); /* total so far, all downloads */
double hnb_downloads_rate_of(const HnbDownloads *d, uint32_t id);    /* current rate of one download, bit/s */
double hnb_downloads_remaining(const HnbDownloads *d, uint32_t id);  /* bytes left as of the last call taking now */

/* Check every internal invariant (heap order, group split max cap(C) <= θ <= min cap(U), sums); aborts on a broken
 * one.  O(n): for tests and debug builds. */
void hnb_downloads_verify(const HnbDownloads *d);

#endif
