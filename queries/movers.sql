-- title: Which states moved toward (or away from) a state between two years
-- description: Every state's agreement with the chosen state in each of two calendar years
--   (Voeten's defaults: roll calls on which both cast yes, no or abstain, unanimous ones
--   dropped), under the chosen metric (exact, agree, s_abs, s_sq, kappa_abs, kappa_sq,
--   kappa_nominal, pi_abs, pi_sq or pi_nominal), with n for each year and the change,
--   value_to - value_from, largest first. States sharing fewer than min_votes roll calls with
--   it in either year are left out. Read from the stored view agreement_long. `alignment
--   movers` gives the same for spans of years (2019-2020) with a bootstrap interval of the
--   change.
-- parameters:
--   toward = RUS: ISO3 code of the state
--   from_year = 2021: the first year
--   to_year = 2023: the second year
--   metric = agree: the metric (a column of agreement_pairs)
--   min_votes = 40: fewest common roll calls in each year
WITH scores AS (
    SELECT iso3_b AS iso3, period, value, n
    FROM agreement_long
    WHERE iso3_a = $toward AND period_type = 'year'
      AND period IN ($from_year::INTEGER, $to_year::INTEGER)
      AND metric = alignment_metric($metric) AND n >= $min_votes::INTEGER
)
SELECT f.iso3, k.name, f.value AS value_from, f.n AS n_from, t.value AS value_to, t.n AS n_to,
       t.value - f.value AS change
FROM scores f
JOIN scores t ON t.iso3 = f.iso3 AND t.period = $to_year::INTEGER
LEFT JOIN countries k ON k.iso3 = f.iso3
WHERE f.period = $from_year::INTEGER
ORDER BY isnan(change), change DESC, f.iso3;
