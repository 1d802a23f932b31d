/* results/results.h — run directories, summaries, time series and gnuplot figures.
 *
 * A run directory is written under DIR.tmp and renamed to DIR only when complete, so a crash or a refused input never
 * leaves a half-written DIR.  Every file except manifest.json is a pure function of (scenario, seed): numbers are
 * printed with a fixed format in the C locale, keys in a fixed order, no timestamps.
 *
 *   DIR/scenario.resolved.ini   written by the caller (hnb_scenario_to_data)
 *   DIR/summary.json, summary.csv   every metric; mean, 95% CI half-width, min, max over replications
 *   DIR/timeseries.csv              one row per (replication, sample time)
 *   DIR/figures/NAME.gp|.png|.svg   gnuplot script + renderings (and NAME.csv, the data a figure reads when it is
 *                                   not a file above: the bands over replications, a comparison's bars)
 *   DIR/manifest.json               wall time, host, threads, versions (the only non-deterministic file)
 */
#ifndef HNB_RESULTS_H
#define HNB_RESULTS_H

#include <glib.h>
#include <stdio.h>
#include "sim/scenario.h"

/* ---- metrics: what one replication reports, in a fixed order ---- */
typedef struct {
    char *name; /* snake_case, e.g. "wait_mean" */
    char *unit; /* "s", "sessions/s", "" ... */
    char *doc;  /* one line */
    double value;
} HnbMetric;

typedef struct {
    GArray *items; /* of HnbMetric */
} HnbMetrics;

HnbMetrics *hnb_metrics_new(void);
void hnb_metrics_free(HnbMetrics *m);
void hnb_metrics_add(HnbMetrics *m, const char *name, const char *unit, double value, const char *doc);
/* The value of the metric called name; NaN when m has none. */
double hnb_metrics_value(const HnbMetrics *m, const char *name);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbMetrics, hnb_metrics_free)

/* ---- time series: columns of doubles sampled at fixed times ---- */
typedef struct {
    guint ncols;
    char **names; /* ncols, first is the time column, e.g. "time_h" */
    char **units;
    GArray *data; /* of double, row-major, ncols per row */
} HnbSeries;

HnbSeries *hnb_series_new(guint ncols, const char *const *names, const char *const *units);
void hnb_series_free(HnbSeries *s);
void hnb_series_add_row(HnbSeries *s, const double *row); /* ncols values */
static inline guint hnb_series_rows(const HnbSeries *s) { return s->data->len / s->ncols; }
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HnbSeries, hnb_series_free)

/* ---- figures ---- */
typedef struct {
    const char *name;   /* file stem: figures/NAME.{gp,png,svg} */
    const char *title;
    const char *ylabel; /* with unit, e.g. "sessions/s" */
    const char *columns; /* space-separated time-series column names to plot as lines against column 0 */
    /* TRUE: drawn only where every column exists (a part some scenarios lack, such as the fleet's SeGW); a series
     * without one of them skips it silently, with no script and no rendering.  FALSE: a missing column is an error
     * (a typo in the model's table must not pass unnoticed). */
    gboolean optional;
} HnbFigure;

/* A figure over a table that is not a time series (a curve over a parameter, one row per value). */
typedef struct {
    const char *name;  /* file stem: figures/NAME.{gp,png,svg} */
    const char *title;
    const char *x;     /* the table column on the x axis */
    const char *xlabel;
    const char *columns; /* left axis: space-separated columns; "a:b" draws a with +-b error bars */
    const char *ylabel;
    const char *y2columns; /* right axis, the same way (NULL: no second axis) */
    const char *y2label;
} HnbTableFigure;

/* ---- run directory ---- */
typedef struct HnbRunDir HnbRunDir;

/* Create DIR.tmp (removing a stale one).  An existing DIR is refused (HNB_ERROR_INPUT, "exists; use --force") unless
 * force, in which case it is replaced at commit. */
HnbRunDir *hnb_rundir_begin(const char *dir, gboolean force, GError **error);
const char *hnb_rundir_tmp_path(const HnbRunDir *rd); /* where files go until commit */
/* Write a whole file (relative path, subdirectories created) into the tmp dir. */
gboolean hnb_rundir_write(HnbRunDir *rd, const char *relpath, const char *data, gssize len, GError **error);
/* Rename DIR.tmp to DIR (replacing DIR if forced).  Frees rd whatever the outcome. */
gboolean hnb_rundir_commit(HnbRunDir *rd, GError **error);
/* Remove DIR.tmp and free rd (on any failure path). */
void hnb_rundir_abort(HnbRunDir *rd);
/* A view of the subdirectory `name` of rd (created on first write): every writer below works on it as on a run
 * directory.  It is committed or aborted with its parent; free it with hnb_rundir_sub_free. */
HnbRunDir *hnb_rundir_sub(HnbRunDir *rd, const char *name);
void hnb_rundir_sub_free(HnbRunDir *sub);

/* Stamp that goes into every figure footer and summary: scenario name, seed, version. */
typedef struct {
    const char *scenario;
    guint64 seed;
    guint replications;
    const char *version;
    const char *source; /* the scenario file; manifest.json only (NULL: omitted) */
    /* The assumptions behind every figure, from hnb_results_caption (NULL: none): each figure shows it under its
     * title and report.html under the figure, so a figure cut out of the report still says what it shows. */
    const char *caption;
    /* The episode the time-series figures zoom on (NULL: none): they get a second panel on it. */
    const struct HnbZoom *zoom;
    /* manifest.json only (NULL: none): more members of its object, as JSON text without the braces ("\"mode\":
     * \"measured\", ..."), for a run whose results were measured rather than modelled (`hnbsim drive`) */
    const char *manifest_extra;
    /* manifest.json only (0: omitted): the fleet's HNBs, for its peak memory per HNB */
    guint64 hnbs;
} HnbStamp;

/* An interval of the time column (its unit: hours for "time_h") that time-series figures show again, enlarged,
 * under the whole run, and how it was chosen (said in the caption: "from 5 min before [attack] start ..."). */
typedef struct HnbZoom {
    double from, to;
    const char *unit; /* of the time column, e.g. "h" (a static string) */
    char why[240];
    gboolean panel;   /* draw the zoomed panel (FALSE: the episode is most of the run; the marks alone) */
    /* Moments drawn as dashed vertical lines with their label in every panel (the attack, the fix built, signed,
     * published, the fleet recovered), in the time column's unit; what they were read from is the caption's. */
    guint nmarks;
    struct {
        double at;
        char label[32];
    } marks[8];
} HnbZoom;

/* The caption of a run's figures from its scenario(s) (one, or the variants of a comparison, in order): each clause
 * is a template whose {group.key} are replaced by that key's value ("{fleet.size} HNBs" -> "10,000 HNBs"; integers
 * grouped, fractions as percentages, other values as the file writes them); a key that differs between variants
 * reads "single/golden/ab".  A clause naming a key the scenario's schema lacks is left out, so a model can list keys
 * that only some of its scenarios have.  The replications and the duration end every caption.  Returns a new
 * string. */
char *hnb_results_caption(const HnbScenario *const *scenarios, guint n, const char *const *clauses);

/* One clause of the findings paragraph at the top of report.html: `text` with "{}" replaced by the mean of `metric`
 * (times `scale`, 0 meaning 1) and its 95% CI half-width, rounded as the tables are, then `unit` (NULL: none; "%"
 * follows without a space).  An infinite mean reads "beyond the horizon" without the unit; a metric that is absent
 * or undefined (NaN) leaves its clause out, so a model lists metrics that only some runs report.  A clause's text
 * starts with the punctuation joining it to the one before ("; ", ", "), dropped when it comes first.  A clause with
 * no metric is a note, shown once under the list (what the numbers mean, say). */
typedef struct {
    const char *metric;
    const char *text;
    const char *unit;
    double scale;
} HnbFinding;

/* report.html from what the run directory holds (results table, the figures/ SVGs inline with their captions,
 * scenario.resolved.ini and its SHA-256), the compliance lines (NULL or "": none; the clause 8.3.4 rules of the [tls]
 * group, and a model's own under a heading line ending in ':', e.g. the fleet's per path) and the findings
 * (nfindings clauses, composed per variant from summary.csv or compare.csv; none: no findings paragraph).  Write it
 * last. */
gboolean hnb_results_write_report(HnbRunDir *rd, const HnbStamp *stamp, const char *compliance,
                                  const HnbFinding *findings, guint nfindings, GError **error);

/* summary.json + summary.csv from R replications' metrics (same names in the same order in each). */
gboolean hnb_results_write_summary(HnbRunDir *rd, const HnbStamp *stamp, HnbMetrics *const *reps, guint nreps,
                                   GError **error);
/* timeseries.csv with a leading "replication" column. */
gboolean hnb_results_write_series(HnbRunDir *rd, HnbSeries *const *reps, guint nreps, GError **error);
/* The same for any table (e.g. cdf.csv). */
gboolean hnb_results_write_csv(HnbRunDir *rd, const char *relpath, HnbSeries *const *reps, guint nreps,
                               GError **error);
/* A table that is not a time series (one row per value of a parameter, say) as relpath: a header line of its column
 * names, then its rows; no replication column. */
gboolean hnb_results_write_table(HnbRunDir *rd, const char *relpath, const HnbSeries *table, GError **error);
/* Figures over `table`, written as `data` with hnb_results_write_table (the scripts read that file; what they draw
 * is decided from the table in memory): figures/NAME.gp, rendered as for hnb_results_write_figures.  Columns with no
 * finite value are left out; a missing column is HNB_ERROR_RUN. */
gboolean hnb_results_write_table_figures(HnbRunDir *rd, const HnbStamp *stamp, const char *data,
                                         const HnbSeries *table, const HnbTableFigure *figs, guint nfigs,
                                         gboolean *rendered, GError **error);
/* figures/NAME.gp for each figure over the series of nreps replications (those written to timeseries.csv with
 * hnb_results_write_series), then gnuplot renders .png and .svg.  One replication: the script plots its rows of
 * timeseries.csv as lines.  Several: figures/NAME.csv holds, per time point of the union of their rows, the mean of each
 * of the figure's columns and its 95% CI half-width (results/bands.h, each replication's value held from its last row),
 * and the script draws each mean as a line over a shaded band.  Which columns have something to draw is found from the
 * series in memory.  A figure naming a column the series lacks is HNB_ERROR_RUN, unless it is optional: then it is
 * skipped (no script, not rendered, so report.html does not list it).  If gnuplot is not installed, writes the .gp scripts (and the band files), sets *rendered = FALSE
 * and returns TRUE; a gnuplot that is present but fails is an error. */
gboolean hnb_results_write_figures(HnbRunDir *rd, const HnbStamp *stamp, HnbSeries *const *reps, guint nreps,
                                   const HnbFigure *figs, guint nfigs, gboolean *rendered, GError **error);
/* manifest.json: the non-deterministic facts. */
gboolean hnb_results_write_manifest(HnbRunDir *rd, const HnbStamp *stamp, unsigned threads, double wall_seconds,
                                    GError **error);

/* ---- comparing variants ---- */
typedef enum {
    HNB_COMPARE_SERIES, /* one time-series column, one line per variant (its mean and 95% CI band; replication 0
                         * when a variant has a single replication) */
    HNB_COMPARE_CDF,    /* each variant's cdf.csv (replication 0) */
    HNB_COMPARE_BAR,    /* one metric's mean per variant, with 95% CI error bars */
    HNB_COMPARE_TABLE,  /* each variant's model table (the model's table_file, e.g. curve.csv) as one line of points,
                         * column "X:Y" (x logarithmic when logx), each point labelled by the table's first column */
} HnbCompareKind;

typedef struct HnbCompareFigure {
    const char *name; /* figures/NAME.{gp,png,svg} */
    const char *title;
    const char *xlabel; /* SERIES, CDF */
    const char *ylabel;
    HnbCompareKind kind;
    const char *column; /* SERIES: the time-series column; BAR: the metric; TABLE: "X:Y" columns; CDF: unused */
    /* SERIES only.  TRUE: skipped silently (no script, no rendering) when some variant's series lacks the column (a
     * part only some variants have); FALSE: such a variant is an error. */
    gboolean optional;
    const char *table; /* TABLE: the file in each variant's directory (the model's table_file) */
    gboolean logx;     /* TABLE: a logarithmic x axis (points at x <= 0 are left out) */
} HnbCompareFigure;

typedef struct {
    const char *name;         /* its subdirectory, holding timeseries.csv (and cdf.csv) */
    HnbMetrics *const *reps;  /* its replications' metrics */
    guint nreps;
    gboolean has_cdf;         /* replication 0 wrote a non-empty cdf.csv */
    HnbSeries *const *series; /* its replications' time series (nreps, as in its timeseries.csv) */
} HnbVariant;

/* compare.csv (metric, unit, then mean and CI half-width per variant) and the joint figures.  The variants are of one
 * model; a metric some variants do not report (e.g. the signing model's s<S>_* of another servers_curve) has empty
 * cells for them.  A BAR figure's metric must be reported by every variant.  When every variant has two replications
 * or more, a SERIES figure draws each variant's mean over its replications with its 95% CI band (results/bands.h), from
 * figures/NAME.csv (variant, time, mean, half-width; each variant's rows on its own grid); otherwise the lines of
 * replication 0 of each ../VARIANT/timeseries.csv.  An optional SERIES figure is skipped when a variant's series
 * lacks its column.  *rendered as for hnb_results_write_figures. */
gboolean hnb_results_write_compare(HnbRunDir *rd, const HnbStamp *stamp, const HnbVariant *variants, guint nvariants,
                                   const HnbCompareFigure *figs, guint nfigs, gboolean *rendered, GError **error);

/* Append s as one CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
void hnb_results_csv_field(GString *out, const char *s);

/* Locale-independent, deterministic number text ("%.10g" in the C locale; "nan", "inf" spelled as JSON null in
 * JSON).  buf >= 32 bytes. */
char *hnb_results_fmt(double v, char *buf);
/* Whether v's text (hnb_results_fmt) reads back as a finite number: what a reader of the CSV sees, which differs from
 * isfinite(v) near DBL_MAX, where the 10 printed digits round up past it.  Figures decide what to draw by it. */
gboolean hnb_results_fmt_finite(double v);

#endif
