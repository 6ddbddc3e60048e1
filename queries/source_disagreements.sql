-- title: Votes on which the sources disagree
-- description: Every vote a lower-precedence source published differently from the vote kept
--   in votes (vote_disagreements; precedence undl_csv, undl_marcxml, unxml_json, voeten,
--   unvotes), with the roll call it belongs to. Empty when every source agrees.
-- parameters:
--   country = "": ISO3 code of a state; empty for all states
SELECT r.symbol, r.date, d.iso3, k.name,
       d.kept_source, d.kept_vote, d.other_source, d.other_vote, d.roll_call_id
FROM vote_disagreements d
JOIN roll_calls r USING (roll_call_id)
LEFT JOIN countries k ON k.iso3 = d.iso3
WHERE $country = '' OR d.iso3 = $country
ORDER BY r.date, d.roll_call_id, d.iso3, d.other_source;
