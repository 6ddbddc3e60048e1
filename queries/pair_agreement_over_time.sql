-- title: Agreement of two states over time, under each metric
-- description: Per calendar year (by = year) or session (by = session), over the roll calls on
--   which both states cast yes, no or abstain (Y = 1, A = 2, N = 3), unanimous roll calls
--   dropped: n common roll calls; exact (share of identical votes); agree (mean of
--   1 - |x - y| / 2); s_abs = 2 agree - 1 (Signorino and Ritter's S, absolute distance);
--   s_sq (squared distance); Cohen's kappa and Scott's pi (Häge 2011) with absolute, squared
--   and nominal distances, NaN where undefined (no variation to measure chance against). The
--   same definitions as alignment.metrics and its agreement_scores table.
-- parameters:
--   country = BLR: ISO3 code of one state
--   partner = RUS: ISO3 code of the other
--   by = year: year or session
WITH coded AS (
    SELECT v.roll_call_id, v.iso3,
           CASE WHEN $by = 'session' THEN r.session ELSE year(r.date) END AS period,
           CASE v.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 WHEN 'N' THEN 3 END AS code
    FROM votes v
    JOIN roll_calls r USING (roll_call_id)
    WHERE v.vote IN ('Y', 'N', 'A')
),
split AS (
    SELECT roll_call_id FROM coded GROUP BY roll_call_id HAVING count(DISTINCT code) > 1
),
pair AS (
    SELECT a.period, a.code AS x, b.code AS y
    FROM coded a
    JOIN coded b ON a.roll_call_id = b.roll_call_id
    WHERE a.iso3 = $country AND b.iso3 = $partner
      AND a.roll_call_id IN (SELECT roll_call_id FROM split)
),
t AS (
    SELECT period, count(*) AS n,
           avg(CAST(x = y AS DOUBLE)) AS exact,
           avg(abs(x - y) / 2.0) AS d_abs,
           avg(power(abs(x - y) / 2.0, 2)) AS d_sq,
           avg(CAST(x <> y AS DOUBLE)) AS d_nom,
           avg(CAST(x = 1 AS DOUBLE)) AS p1, avg(CAST(x = 2 AS DOUBLE)) AS p2,
           avg(CAST(x = 3 AS DOUBLE)) AS p3,
           avg(CAST(y = 1 AS DOUBLE)) AS q1, avg(CAST(y = 2 AS DOUBLE)) AS q2,
           avg(CAST(y = 3 AS DOUBLE)) AS q3
    FROM pair
    GROUP BY period
),
e AS (
    SELECT *,
           -- disagreement expected by chance, sum of p_k q_l delta(k, l)
           0.5 * (p1 * q2 + p2 * q1 + p2 * q3 + p3 * q2) + (p1 * q3 + p3 * q1) AS ek_abs,
           0.25 * (p1 * q2 + p2 * q1 + p2 * q3 + p3 * q2) + (p1 * q3 + p3 * q1) AS ek_sq,
           1 - (p1 * q1 + p2 * q2 + p3 * q3) AS ek_nom,
           (p1 + q1) / 2 AS m1, (p2 + q2) / 2 AS m2, (p3 + q3) / 2 AS m3
    FROM t
),
f AS (
    SELECT *,
           2 * (0.5 * (m1 * m2 + m2 * m3) + m1 * m3) AS ep_abs,
           2 * (0.25 * (m1 * m2 + m2 * m3) + m1 * m3) AS ep_sq,
           1 - (m1 * m1 + m2 * m2 + m3 * m3) AS ep_nom
    FROM e
)
SELECT $by AS by, period, n,
       exact,
       1 - d_abs AS agree,
       1 - 2 * d_abs AS s_abs,
       1 - 2 * d_sq AS s_sq,
       CASE WHEN ek_abs > 0 THEN 1 - d_abs / ek_abs ELSE 'NaN'::DOUBLE END AS kappa_abs,
       CASE WHEN ek_sq > 0 THEN 1 - d_sq / ek_sq ELSE 'NaN'::DOUBLE END AS kappa_sq,
       CASE WHEN ek_nom > 0 THEN 1 - d_nom / ek_nom ELSE 'NaN'::DOUBLE END AS kappa_nominal,
       CASE WHEN ep_abs > 0 THEN 1 - d_abs / ep_abs ELSE 'NaN'::DOUBLE END AS pi_abs,
       CASE WHEN ep_sq > 0 THEN 1 - d_sq / ep_sq ELSE 'NaN'::DOUBLE END AS pi_sq,
       CASE WHEN ep_nom > 0 THEN 1 - d_nom / ep_nom ELSE 'NaN'::DOUBLE END AS pi_nominal
FROM f
ORDER BY period;
