-- title: How often each member defected from its bloc, per session
-- description: For every roll call, members on the day (status 'member', "left" inclusive) who
--   voted yes, no or abstain against the bloc's plurality vote (no plurality on a tie, so no
--   defection then); counted per member and session, beside the roll calls the member voted on
--   with the bloc having a line.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
WITH member_votes AS (
    SELECT r.roll_call_id, r.session, v.iso3, v.vote
    FROM roll_calls r
    JOIN votes v USING (roll_call_id)
    JOIN bloc_memberships m
      ON m.iso3 = v.iso3 AND m.bloc = $bloc AND m.status = 'member'
     AND m.joined <= r.date AND (m."left" IS NULL OR r.date <= m."left")
    WHERE v.vote IN ('Y', 'N', 'A')
),
tally AS (
    SELECT roll_call_id, vote, count(*) AS c,
           max(count(*)) OVER (PARTITION BY roll_call_id) AS top
    FROM member_votes
    GROUP BY roll_call_id, vote
),
plurality AS (
    SELECT roll_call_id, any_value(vote) AS bloc_vote
    FROM tally
    WHERE c = top
    GROUP BY roll_call_id
    HAVING count(*) = 1
)
SELECT mv.session, mv.iso3, k.name,
       count(*) FILTER (WHERE mv.vote <> p.bloc_vote) AS defections,
       count(*) AS roll_calls,
       avg(CAST(mv.vote <> p.bloc_vote AS DOUBLE)) AS defection_rate
FROM member_votes mv
JOIN plurality p USING (roll_call_id)
LEFT JOIN countries k ON k.iso3 = mv.iso3
GROUP BY mv.session, mv.iso3, k.name
ORDER BY mv.session, mv.iso3;
