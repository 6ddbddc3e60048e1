-- title: Cohesion of a bloc per session (Hix-Noury-Roland agreement index)
-- description: For each roll call, the members on the day of the vote (status 'member', "left"
--   inclusive) who voted yes, no or abstain give AI = (max(Y,N,A) - (Y+N+A - max(Y,N,A)) / 2)
--   / (Y+N+A): 1 when all vote alike, 0 when they split equally three ways. cohesion is the
--   mean AI over the session's roll calls on which at least one member voted (n_roll_calls);
--   unanimous_share the share of those on which the voting members all voted alike. Computed
--   from votes and bloc_memberships; the metrics module materialises the same numbers.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
WITH member_votes AS (
    SELECT v.roll_call_id, r.session, v.vote
    FROM votes v
    JOIN roll_calls r USING (roll_call_id)
    JOIN bloc_memberships m
      ON m.iso3 = v.iso3 AND m.bloc = $bloc AND m.status = 'member'
     AND m.joined <= r.date AND (m."left" IS NULL OR r.date <= m."left")
    WHERE v.vote IN ('Y', 'N', 'A')
),
counts AS (
    SELECT roll_call_id, session,
           count(*) FILTER (WHERE vote = 'Y') AS y,
           count(*) FILTER (WHERE vote = 'N') AS n,
           count(*) FILTER (WHERE vote = 'A') AS a
    FROM member_votes
    GROUP BY roll_call_id, session
),
ai AS (
    SELECT session, y + n + a AS total, greatest(y, n, a) AS top,
           (greatest(y, n, a) - 0.5 * (y + n + a - greatest(y, n, a))) / (y + n + a) AS ai
    FROM counts
)
SELECT $bloc AS bloc, session,
       avg(ai) AS cohesion,
       count(*) AS n_roll_calls,
       avg(CAST(top = total AS DOUBLE)) AS unanimous_share
FROM ai
GROUP BY session
ORDER BY session;
