-- title: How a state voted on every Syria resolution, beside each CSTO and Customs Union/EAEU member
-- description: One row per roll call about the topic (roll_call_topics, strength primary; a
--   resolution voted as a whole) and per state that was a member of one of the blocs on the
--   day of the vote (bloc_memberships,
--   status 'member', "left" inclusive: Uzbekistan counts in the CSTO from 2006-08-16 to
--   2012-06-27, Armenia's 2024 freeze takes it out). country_vote is the chosen state's vote;
--   member_vote the member's; same_vote whether they match. Votes: Y yes, N no, A abstain,
--   X absent or not voting; null when the member had no UN seat.
-- parameters:
--   country = BLR: ISO3 code of the state whose votes lead
--   topic = syria: named topic of the roll calls (roll_call_topics.topic)
--   blocs = "csto,customs_union,eaeu": comma-separated bloc ids (blocs.bloc)
WITH rc AS (
    SELECT r.roll_call_id, r.symbol, r.date, r.session, r.title
    FROM roll_calls r
    WHERE r.kind = 'resolution'
      AND r.roll_call_id IN (SELECT roll_call_id FROM topic_roll_calls($topic))
),
members AS (
    SELECT rc.roll_call_id, m.iso3,
           string_agg(DISTINCT m.bloc, ',' ORDER BY m.bloc) AS blocs
    FROM rc
    JOIN bloc_memberships m
      ON active_on(m.joined, m."left", rc.date)
    WHERE m.status = 'member'
      AND list_contains(string_split(replace($blocs, ' ', ''), ','), m.bloc)
    GROUP BY rc.roll_call_id, m.iso3
)
SELECT rc.symbol, rc.date, rc.session,
       c.vote AS country_vote,
       mb.iso3 AS member, k.name AS member_name, mb.blocs,
       mv.vote AS member_vote,
       mv.vote = c.vote AS same_vote,
       rc.title
FROM rc
JOIN members mb USING (roll_call_id)
LEFT JOIN votes c ON c.roll_call_id = rc.roll_call_id AND c.iso3 = $country
LEFT JOIN votes mv ON mv.roll_call_id = rc.roll_call_id AND mv.iso3 = mb.iso3
LEFT JOIN countries k ON k.iso3 = mb.iso3
ORDER BY rc.date, rc.symbol, mb.iso3;
