-- title: Who defected from a bloc on a roll call
-- description: Members of the bloc on the day of the vote (status 'member', "left" inclusive)
--   whose yes/no/abstain differs from the bloc's plurality vote, the most common vote among
--   members who voted yes, no or abstain. When two votes tie for most common there is no bloc
--   line and nobody is listed. Absence (X) is not a defection. The symbol may name more than one
--   roll call (separate votes on parts); each is listed. Read from the stored bloc_defections.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
--   symbol = A/RES/66/253: UN symbol of the resolution (roll_calls.symbol)
SELECT r.symbol, r.date, d.roll_call_id, d.bloc, d.iso3, k.name, d.vote, d.bloc_plurality_vote
FROM bloc_defections d
JOIN roll_calls r USING (roll_call_id)
LEFT JOIN countries k USING (iso3)
WHERE d.bloc = $bloc AND r.symbol = $symbol
ORDER BY d.roll_call_id, d.iso3;
