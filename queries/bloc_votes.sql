-- title: How a bloc's members voted on a series or topic of roll calls, and who broke ranks
-- description: One row per roll call and bloc: the roll calls whose symbol matches series (a
--   LIKE pattern: A/RES/ES-11/% for the eleventh emergency special session, or one symbol) and
--   that are about topic (roll_call_topics, strength primary), each condition skipped when "". Members are the
--   states with status 'member' on the day of the vote (bloc_memberships, "left" inclusive).
--   line is the bloc's plurality, its members' most common vote among yes, no and abstain
--   (roll_call_cohesion.plurality; null when two votes tie, and then nobody breaks ranks);
--   votes lists every member's vote (Y yes, N no, A abstain, X absent or not voting);
--   broke_ranks the members whose yes, no or abstain differs from the line (bloc_defections).
-- parameters:
--   blocs = "csto,eaeu": comma-separated bloc ids (blocs.bloc)
--   series = A/RES/ES-11/%: symbol or LIKE pattern of the roll calls, or "" for any
--   topic = "": topic of the roll calls (those about it, not mentions), or "" for any
WITH rc AS (
    SELECT roll_call_id, symbol, date
    FROM roll_calls
    WHERE ($series = '' OR symbol LIKE $series)
      AND ($topic = '' OR roll_call_id IN (SELECT roll_call_id FROM topic_roll_calls($topic)))
),
member_votes AS (
    SELECT rc.roll_call_id, m.bloc, m.iso3, coalesce(v.vote, 'X') AS vote
    FROM rc
    JOIN bloc_memberships m
      ON m.status = 'member' AND active_on(m.joined, m."left", rc.date)
    LEFT JOIN votes v ON v.roll_call_id = rc.roll_call_id AND v.iso3 = m.iso3
    WHERE list_contains(string_split(replace($blocs, ' ', ''), ','), m.bloc)
)
SELECT rc.symbol, rc.date, mv.bloc, c.plurality AS line,
       string_agg(mv.iso3 || ' ' || mv.vote, ', ' ORDER BY mv.iso3) AS votes,
       (SELECT string_agg(d.iso3 || ' ' || d.vote, ', ' ORDER BY d.iso3) FROM bloc_defections d
        WHERE d.roll_call_id = rc.roll_call_id AND d.bloc = mv.bloc) AS broke_ranks
FROM rc
JOIN member_votes mv USING (roll_call_id)
LEFT JOIN roll_call_cohesion c ON c.roll_call_id = rc.roll_call_id AND c.bloc = mv.bloc
GROUP BY rc.roll_call_id, rc.symbol, rc.date, mv.bloc, c.plurality
ORDER BY rc.date, rc.roll_call_id, mv.bloc;
