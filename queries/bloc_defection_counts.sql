-- title: How often each member defected from its bloc, per session
-- description: For every roll call, members on the day (status 'member', "left" inclusive) who
--   voted yes, no or abstain against the bloc's plurality vote (no plurality on a tie, so no
--   defection then); counted per member and session, beside the roll calls the member voted on
--   with the bloc having a line. The line is roll_call_cohesion.plurality.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
WITH member_votes AS (
    SELECT r.roll_call_id, r.session, v.iso3, v.vote
    FROM roll_calls r
    JOIN votes v USING (roll_call_id)
    JOIN bloc_memberships m
      ON m.iso3 = v.iso3 AND m.bloc = $bloc AND m.status = 'member'
     AND active_on(m.joined, m."left", r.date)
    WHERE v.vote IN ('Y', 'N', 'A')
)
SELECT mv.session, mv.iso3, k.name,
       count(*) FILTER (WHERE mv.vote <> c.plurality) AS defections,
       count(*) AS roll_calls,
       avg(CAST(mv.vote <> c.plurality AS DOUBLE)) AS defection_rate
FROM member_votes mv
JOIN roll_call_cohesion c ON c.roll_call_id = mv.roll_call_id AND c.bloc = $bloc
LEFT JOIN countries k ON k.iso3 = mv.iso3
WHERE c.plurality IS NOT NULL
GROUP BY mv.session, mv.iso3, k.name
ORDER BY mv.session, mv.iso3;
