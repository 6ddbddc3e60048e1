-- title: Resolutions on which a state broke with a partner
-- description: Resolutions (voted as a whole) on which both states cast a vote (yes, no or
--   abstain) and the votes differ. distance is 1 for yes or no against an abstention, 2 for yes
--   against no. Absences (X) are not counted as breaks.
-- parameters:
--   country = BLR: ISO3 code of the state
--   partner = RUS: ISO3 code of the partner
--   start_date = 1946-01-01: first day of the window (YYYY-MM-DD)
--   end_date = 2100-12-31: last day of the window (YYYY-MM-DD)
SELECT r.symbol, r.date, r.session,
       a.vote AS country_vote, b.vote AS partner_vote,
       abs((CASE a.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 WHEN 'N' THEN 3 END)
         - (CASE b.vote WHEN 'Y' THEN 1 WHEN 'A' THEN 2 WHEN 'N' THEN 3 END)) AS distance,
       r.yes, r.no, r.abstain, r.title
FROM roll_calls r
JOIN votes a ON a.roll_call_id = r.roll_call_id AND a.iso3 = $country
JOIN votes b ON b.roll_call_id = r.roll_call_id AND b.iso3 = $partner
WHERE r.kind = 'resolution'
  AND a.vote IN ('Y', 'N', 'A') AND b.vote IN ('Y', 'N', 'A')
  AND a.vote <> b.vote
  AND r.date BETWEEN $start_date::DATE AND $end_date::DATE
ORDER BY r.date, r.symbol;
