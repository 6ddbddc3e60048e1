-- title: On what share of its recorded votes a state was in the minority, year by year
-- description: A state's vote on a roll call is in the minority when it voted yes, no or
--   abstain and its vote was not the Assembly's most common vote among the yes, no and abstain
--   votes cast on that roll call (counted from the votes table). Roll calls on which two votes
--   tie for most common have no majority and are left out of both counts (tied_votes counts
--   them); absence (X) is not a vote. votes: the state's yes, no and abstain votes on roll calls
--   with a majority; minority: those not cast with the majority; minority_share = minority /
--   votes. Every kind of roll call counts (amendment, paragraph and procedural votes too), and
--   unanimous ones (the state then votes with the majority).
-- parameters:
--   country = USA: ISO3 code of the state, or "" for every state
--   from_year = 1946: first calendar year
--   to_year = 2100: last calendar year
WITH cast_votes AS (
    SELECT v.roll_call_id, year(r.date) AS year, v.iso3, v.vote
    FROM votes v JOIN roll_calls r USING (roll_call_id)
    WHERE v.vote IN ('Y', 'N', 'A')
      AND year(r.date) BETWEEN $from_year::INTEGER AND $to_year::INTEGER
),
tallies AS (
    SELECT roll_call_id, vote, count(*) AS k,
           max(count(*)) OVER (PARTITION BY roll_call_id) AS top
    FROM cast_votes GROUP BY roll_call_id, vote
),
majority AS (  -- the most common vote of each roll call, unless two tie for most common
    SELECT roll_call_id, any_value(vote) AS vote
    FROM tallies WHERE k = top
    GROUP BY roll_call_id HAVING count(*) = 1
)
SELECT c.iso3, k.name, c.year,
       count(m.vote) AS votes,
       count(*) FILTER (WHERE c.vote <> m.vote) AS minority,
       count(*) FILTER (WHERE c.vote <> m.vote) / count(m.vote) AS minority_share,
       count(*) FILTER (WHERE m.vote IS NULL) AS tied_votes
FROM cast_votes c
LEFT JOIN majority m USING (roll_call_id)
LEFT JOIN countries k ON k.iso3 = c.iso3
WHERE $country = '' OR c.iso3 = $country
GROUP BY c.iso3, k.name, c.year
ORDER BY c.iso3, c.year;
