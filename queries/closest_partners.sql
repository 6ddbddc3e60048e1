-- title: A state's closest and farthest partners in a year
-- description: Agreement with every other state over the roll calls of a calendar year on
--   which both cast yes, no or abstain: agree = mean of 1 - |x - y| / 2 with Y = 1, A = 2,
--   N = 3 (Voeten's agreement index). Unanimous roll calls (every vote cast was the same) are
--   dropped. The top closest and top farthest partners are listed, ties broken by ISO3;
--   partners sharing fewer than min_votes roll calls are left out.
-- parameters:
--   country = BLR: ISO3 code of the state
--   year = 2012: calendar year of the votes
--   top = 10: how many partners at each end
--   min_votes = 20: fewest common roll calls for a partner to be ranked
WITH coded AS (
    SELECT v.roll_call_id, v.iso3,
           CASE v.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 WHEN 'N' THEN 3 END AS code
    FROM votes v
    JOIN roll_calls r USING (roll_call_id)
    WHERE v.vote IN ('Y', 'N', 'A') AND year(r.date) = $year::INTEGER
),
split AS (
    SELECT roll_call_id FROM coded GROUP BY roll_call_id HAVING count(DISTINCT code) > 1
),
pairs AS (
    SELECT b.iso3 AS partner,
           avg(1 - abs(a.code - b.code) / 2.0) AS agree,
           count(*) AS n_votes
    FROM coded a
    JOIN coded b ON a.roll_call_id = b.roll_call_id AND b.iso3 <> a.iso3
    WHERE a.iso3 = $country AND a.roll_call_id IN (SELECT roll_call_id FROM split)
    GROUP BY b.iso3
    HAVING count(*) >= $min_votes::INTEGER
),
ranked AS (
    SELECT *,
           row_number() OVER (ORDER BY agree DESC, partner) AS closest_rank,
           row_number() OVER (ORDER BY agree ASC, partner) AS farthest_rank
    FROM pairs
)
SELECT CASE WHEN closest_rank <= $top::INTEGER THEN 'closest' ELSE 'farthest' END AS "end",
       CASE WHEN closest_rank <= $top::INTEGER THEN closest_rank ELSE farthest_rank END AS rank,
       partner, k.name, agree, n_votes
FROM ranked
LEFT JOIN countries k ON k.iso3 = partner
WHERE closest_rank <= $top::INTEGER OR farthest_rank <= $top::INTEGER
ORDER BY "end", rank;
