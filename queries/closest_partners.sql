-- title: A state's closest and farthest partners in a year
-- description: Agreement with every other state over the roll calls of a calendar year on
--   which both cast yes, no or abstain: agree = mean of 1 - |x - y| / 2 with Y = 1, A = 2,
--   N = 3 (Voeten's agreement index). Unanimous roll calls (every vote cast was the same) are
--   dropped. The top closest and top farthest partners are listed, ties broken by ISO3;
--   partners sharing fewer than min_votes roll calls are left out. Read from the stored view
--   agreement_pairs.
-- parameters:
--   country = BLR: ISO3 code of the state
--   year = 2012: calendar year of the votes
--   top = 10: how many partners at each end
--   min_votes = 20: fewest common roll calls for a partner to be ranked
WITH ranked AS (
    SELECT iso3_b AS partner, agree, n AS n_votes,
           row_number() OVER (ORDER BY agree DESC, iso3_b) AS closest_rank,
           row_number() OVER (ORDER BY agree ASC, iso3_b) AS farthest_rank
    FROM agreement_pairs
    WHERE iso3_a = $country AND period_type = 'year' AND period = $year::INTEGER
      AND n >= $min_votes::INTEGER
)
SELECT CASE WHEN closest_rank <= $top::INTEGER THEN 'closest' ELSE 'farthest' END AS "end",
       CASE WHEN closest_rank <= $top::INTEGER THEN closest_rank ELSE farthest_rank END AS rank,
       partner, k.name, agree, n_votes
FROM ranked
LEFT JOIN countries k ON k.iso3 = partner
WHERE closest_rank <= $top::INTEGER OR farthest_rank <= $top::INTEGER
ORDER BY "end", rank;
