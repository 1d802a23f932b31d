/* models/signing_risk.c — who signs for an attacker under M-of-N approval and shared, per-server or threshold keys:
 * see signing_risk.h. */
#include "models/signing_risk.h"

#include <math.h>
#include <stdlib.h>

gboolean hnb_signing_server_signs(const HnbSigningRisk *r, gboolean host, uint32_t officers)
{
    return host || officers >= r->quorum;
}

gboolean hnb_signing_attacker_signs(const HnbSigningRisk *r, const gboolean *host, const uint32_t *officers)
{
    uint32_t signing = 0;
    for (unsigned j = 0; j < r->servers; j++)
        signing += hnb_signing_server_signs(r, host[j], officers[j]);
    return signing >= r->threshold;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The k-th smallest (1-based) of v[0..n), INFINITY if k > n; sorts v. */
static double kth(double *v, size_t n, size_t k)
{
    if (k > n)
        return INFINITY;
    qsort(v, n, sizeof *v, cmp_double);
    return v[k - 1];
}

double hnb_signing_first_time(const HnbSigningRisk *r, const double *host_t, const double *person_t)
{
    double *server = g_new(double, r->servers), *people = g_new(double, r->approvers ? r->approvers : 1);
    for (unsigned j = 0; j < r->servers; j++) {
        for (uint32_t a = 0; a < r->approvers; a++)
            people[a] = person_t[(size_t)j * r->approvers + a];
        server[j] = fmin(host_t[j], kth(people, r->approvers, r->quorum));
    }
    double t = kth(server, r->servers, r->threshold);
    g_free(server);
    g_free(people);
    return t;
}

/* P(X >= k) for X ~ Binomial(n, p). */
static double binom_at_least(unsigned n, unsigned k, double p)
{
    if (k == 0)
        return 1;
    if (k > n || p <= 0)
        return 0;
    if (p >= 1)
        return 1;
    double sum = 0, term = pow(1 - p, n); /* P(X = 0), then P(X = i) by the ratio of successive terms */
    for (unsigned i = 0; i < k; i++) {
        sum += term;
        term *= (double)(n - i) / (double)(i + 1) * (p / (1 - p));
    }
    return fmax(0, 1 - sum);
}

double hnb_signing_p_analytic(const HnbSigningRisk *r, double server_rate, double person_rate, double horizon_s)
{
    if (r->quorum == 1 && r->threshold == 1) /* the expression of the model before quorum and threshold */
        return -expm1(-(r->servers * (server_rate + r->approvers * person_rate)) * horizon_s);
    double p_person = -expm1(-person_rate * horizon_s), host_ok = exp(-server_rate * horizon_s);
    /* one server signs unless its host holds and fewer than M of its A people fall */
    double p_server = 1 - host_ok * (1 - binom_at_least(r->approvers, r->quorum, p_person));
    return binom_at_least(r->servers, r->threshold, p_server);
}

double hnb_signing_capacity_after(const HnbSigningRisk *r)
{
    double S = r->servers;
    switch (r->keys) {
    case HNB_SIGNING_KEYS_SHARED:
        return 0;
    case HNB_SIGNING_KEYS_PER_SERVER:
        return (S - 1) / S;
    case HNB_SIGNING_KEYS_THRESHOLD:
        return r->servers - 1 >= r->threshold ? (S - 1) / S : 0;
    }
    return 0;
}
