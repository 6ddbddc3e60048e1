-- title: A state's closest and farthest partners in a year, by any metric
-- description: The state's agreement with every other state over the roll calls of a calendar
--   year on which both cast yes, no or abstain, unanimous roll calls dropped (Voeten's
--   defaults), under the chosen metric: exact, agree (Voeten's agreement index, the default),
--   s_abs, s_sq, kappa_abs, kappa_sq, kappa_nominal, pi_abs, pi_sq or pi_nominal (see
--   `alignment schema agreement_pairs`). The top closest and top farthest partners are listed
--   with n, the roll calls the value rests on, ties broken by ISO3; partners sharing fewer than
--   min_votes roll calls, and undefined values (NaN), are left out. Read from the stored view
--   agreement_long.
-- parameters:
--   country = BLR: ISO3 code of the state
--   year = 2012: calendar year of the votes
--   metric = agree: the metric (a column of agreement_pairs)
--   top = 10: how many partners at each end
--   min_votes = 20: fewest common roll calls for a partner to be ranked
WITH ranked AS (
    SELECT iso3_b AS partner, metric, value, n,
           row_number() OVER (ORDER BY value DESC, iso3_b) AS closest_rank,
           row_number() OVER (ORDER BY value ASC, iso3_b) AS farthest_rank
    FROM agreement_long
    WHERE iso3_a = $country AND period_type = 'year' AND period = $year::INTEGER
      AND metric = alignment_metric($metric) AND NOT isnan(value)
      AND n >= $min_votes::INTEGER
)
SELECT CASE WHEN closest_rank <= $top::INTEGER THEN 'closest' ELSE 'farthest' END AS "end",
       CASE WHEN closest_rank <= $top::INTEGER THEN closest_rank ELSE farthest_rank END AS rank,
       partner, k.name, metric, value, n
FROM ranked
LEFT JOIN countries k ON k.iso3 = partner
WHERE closest_rank <= $top::INTEGER OR farthest_rank <= $top::INTEGER
ORDER BY "end", rank;
