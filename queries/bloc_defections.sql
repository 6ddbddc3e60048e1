-- title: Who defected from a bloc on a roll call
-- description: Members of the bloc on the day of the vote (status 'member', "left" inclusive)
--   whose yes/no/abstain differs from the bloc's plurality vote, the most common vote among
--   members who voted yes, no or abstain. When two votes tie for most common there is no bloc
--   line and nobody is listed. Absence (X) is not a defection. The symbol may name more than one
--   roll call (separate votes on parts); each is listed.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
--   symbol = A/RES/66/253: UN symbol of the resolution (roll_calls.symbol)
WITH member_votes AS (
    SELECT r.roll_call_id, r.symbol, r.date, v.iso3, v.vote
    FROM roll_calls r
    JOIN votes v USING (roll_call_id)
    JOIN bloc_memberships m
      ON m.iso3 = v.iso3 AND m.bloc = $bloc AND m.status = 'member'
     AND m.joined <= r.date AND (m."left" IS NULL OR r.date <= m."left")
    WHERE r.symbol = $symbol AND v.vote IN ('Y', 'N', 'A')
),
tally AS (
    SELECT roll_call_id, vote, count(*) AS c,
           max(count(*)) OVER (PARTITION BY roll_call_id) AS top
    FROM member_votes
    GROUP BY roll_call_id, vote
),
plurality AS (
    SELECT roll_call_id, any_value(vote) AS bloc_vote, count(*) AS tied
    FROM tally
    WHERE c = top
    GROUP BY roll_call_id
)
SELECT mv.symbol, mv.date, mv.roll_call_id, $bloc AS bloc,
       mv.iso3, k.name, mv.vote, p.bloc_vote AS bloc_plurality_vote
FROM member_votes mv
JOIN plurality p USING (roll_call_id)
LEFT JOIN countries k ON k.iso3 = mv.iso3
WHERE p.tied = 1 AND mv.vote <> p.bloc_vote
ORDER BY mv.roll_call_id, mv.iso3;
