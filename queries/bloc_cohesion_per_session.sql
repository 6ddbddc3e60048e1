-- title: Cohesion of a bloc per session (Hix-Noury-Roland agreement index)
-- description: For each roll call, the members on the day of the vote (status 'member', "left"
--   inclusive) who voted yes, no or abstain give AI = (max(Y,N,A) - (Y+N+A - max(Y,N,A)) / 2)
--   / (Y+N+A): 1 when all vote alike, 0 when they split equally three ways. cohesion is the
--   mean AI over the session's roll calls on which at least one member voted (n_roll_calls);
--   unanimous_share the share of those on which the voting members all voted alike. Read
--   from the stored tables bloc_cohesion and roll_call_cohesion.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
SELECT b.bloc, b.period AS session, b.cohesion, b.n_roll_calls,
       avg(CAST(c.cohesion = 1 AS DOUBLE)) AS unanimous_share
FROM bloc_cohesion b
JOIN roll_calls r ON r.session = b.period
JOIN roll_call_cohesion c ON c.roll_call_id = r.roll_call_id AND c.bloc = b.bloc
WHERE b.bloc = $bloc AND b.period_type = 'session'
GROUP BY ALL
ORDER BY session;
