-- title: Members of a bloc on a date
-- description: The states in a bloc on the day, from bloc_memberships ("left" is the last day,
--   inclusive), with their status (member, suspended, frozen, observer ...) and the spell and
--   source. Analyses in this library count status 'member' only.
-- parameters:
--   bloc = csto: bloc id (blocs.bloc)
--   date = 2012-02-16: the day (YYYY-MM-DD)
SELECT m.bloc, m.iso3, k.name, m.status, m.joined, m."left", m.date_precision, m.source
FROM bloc_memberships m
LEFT JOIN countries k ON k.iso3 = m.iso3
WHERE m.bloc = $bloc
  AND active_on(m.joined, m."left", $date::DATE)
ORDER BY m.status, m.iso3;
