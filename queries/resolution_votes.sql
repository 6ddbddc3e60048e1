-- title: The votes of one resolution, by symbol
-- description: Every UN member's vote on the roll call(s) with this symbol (parts keep their
--   letter: A/RES/66/253 B), with the published tally. Y yes, N no, A abstain, X absent or not
--   voting; source is the source the vote was kept from.
-- parameters:
--   symbol = A/RES/66/253: official UN symbol (roll_calls.symbol)
SELECT r.symbol, r.date, r.kind, r.yes, r.no, r.abstain,
       v.iso3, k.name, v.vote, v.source, r.roll_call_id
FROM roll_calls r
JOIN votes v USING (roll_call_id)
LEFT JOIN countries k ON k.iso3 = v.iso3
WHERE r.symbol = $symbol
ORDER BY r.roll_call_id,
         CASE v.vote WHEN 'Y' THEN 1 WHEN 'N' THEN 2 WHEN 'A' THEN 3 ELSE 4 END, k.name;
