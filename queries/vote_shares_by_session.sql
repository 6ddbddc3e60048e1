-- title: How a state voted, session by session
-- description: The state's yes, no, abstain and absent (X) votes per session and the share of
--   yes among the votes it cast, over every roll call (resolutions, amendments, paragraphs and
--   procedural votes) held while it had a seat.
-- parameters:
--   country = BLR: ISO3 code of the state
SELECT r.session, min(r.date) AS first_date, max(r.date) AS last_date,
       count(*) AS roll_calls,
       count(*) FILTER (WHERE v.vote = 'Y') AS yes,
       count(*) FILTER (WHERE v.vote = 'N') AS no,
       count(*) FILTER (WHERE v.vote = 'A') AS abstain,
       count(*) FILTER (WHERE v.vote = 'X') AS absent,
       count(*) FILTER (WHERE v.vote = 'Y')
           / nullif(count(*) FILTER (WHERE v.vote IN ('Y', 'N', 'A')), 0) AS yes_share
FROM votes v
JOIN roll_calls r USING (roll_call_id)
WHERE v.iso3 = $country
GROUP BY r.session
ORDER BY r.session;
