-- title: A state's ideal point path, session by session or year by year
-- description: The state's estimated ideal point per period with its 90% interval (lower,
--   upper), the number of votes behind it and its convergence diagnostics (rhat at most 1.01
--   and ess_bulk of 400 or more meet the publication standard), beside Russia's and the United
--   States' for reference, from the stored ideal_points (all votes).
-- parameters:
--   country = BLR: ISO3 code of the state
--   reference = "RUS,USA": comma-separated ISO3 codes shown beside it
--   by = session: session or year
SELECT i.period_type, i.period, i.iso3, k.name, i.ideal_point, i.lower, i.upper, i.n_votes,
       i.rhat, i.ess_bulk, i.iso3 = $country AS is_country
FROM ideal_points i
LEFT JOIN countries k ON k.iso3 = i.iso3
WHERE i.period_type = $by AND i.vote_set = 'all'
  AND (i.iso3 = $country
       OR list_contains(string_split(replace($reference, ' ', ''), ','), i.iso3))
ORDER BY i.period, is_country DESC, i.iso3;
