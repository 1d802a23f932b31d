/* sim/evqentry.h — the 16-byte entry every structure of the pending-event set moves (private to sim/).
 *
 * key = seq << SLOT_BITS | slot: the slot names the payload (sim/evqueue.h), the seq is the schedule order.  Times
 * are never negative, so (time, key) compares as one unsigned 128-bit number — by time, then schedule order: the
 * FIFO tie-break — in a cmp/sbb pair instead of two dependent branches.
 */
#ifndef HNB_EVQENTRY_H
#define HNB_EVQENTRY_H

#include <stdint.h>
#include "sim/time.h"

typedef struct {
    HnbTime time;
    uint64_t key; /* seq << SLOT_BITS | slot */
} HnbEvqEntry;

static inline unsigned __int128 hnb_evq_rank(const HnbEvqEntry *a)
{
    return ((unsigned __int128)(uint64_t)a->time << 64) | a->key;
}

#endif
