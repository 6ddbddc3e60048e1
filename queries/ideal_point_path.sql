-- title: A state's ideal point path, session by session
-- description: The state's estimated ideal point per session with its interval (lower, upper)
--   and the number of votes behind it, beside Russia's and the United States' for reference,
--   from the ideal_points table. That table is materialised by the ideal-points step
--   (alignment.ideal_points); a store without it answers "Table with name ideal_points does
--   not exist".
-- parameters:
--   country = BLR: ISO3 code of the state
--   reference = "RUS,USA": comma-separated ISO3 codes shown beside it
SELECT i.session, i.iso3, k.name, i.ideal_point, i.lower, i.upper, i.n_votes,
       i.iso3 = $country AS is_country
FROM ideal_points i
LEFT JOIN countries k ON k.iso3 = i.iso3
WHERE i.iso3 = $country
   OR list_contains(string_split(replace($reference, ' ', ''), ','), i.iso3)
ORDER BY i.session, is_country DESC, i.iso3;
