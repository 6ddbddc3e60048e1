-- title: Roll calls whose published tallies differ, between sources or from the votes
-- description: For each roll call where it happens, each source's published yes/no/abstain
--   tally (roll_call_sources) beside the tally counted from the votes kept (votes): listed when
--   two sources publish different tallies or a published tally differs from the count. Sources
--   that publish no tally (Voeten, unvotes) are left out.
WITH counted AS (
    SELECT roll_call_id,
           count(*) FILTER (WHERE vote = 'Y') AS yes,
           count(*) FILTER (WHERE vote = 'N') AS no,
           count(*) FILTER (WHERE vote = 'A') AS abstain
    FROM votes
    GROUP BY roll_call_id
),
published AS (
    SELECT s.roll_call_id, s.source, s.yes, s.no, s.abstain,
           c.yes AS counted_yes, c.no AS counted_no, c.abstain AS counted_abstain,
           (s.yes, s.no, s.abstain) IS DISTINCT FROM (c.yes, c.no, c.abstain) AS differs_from_count
    FROM roll_call_sources s
    JOIN counted c USING (roll_call_id)
    WHERE s.yes IS NOT NULL
),
flagged AS (
    SELECT roll_call_id
    FROM published
    GROUP BY roll_call_id
    HAVING count(DISTINCT (yes, no, abstain)) > 1 OR bool_or(differs_from_count)
)
SELECT r.symbol, r.date, p.source,
       p.yes AS published_yes, p.no AS published_no, p.abstain AS published_abstain,
       p.counted_yes, p.counted_no, p.counted_abstain, p.differs_from_count, r.roll_call_id
FROM published p
JOIN flagged USING (roll_call_id)
JOIN roll_calls r USING (roll_call_id)
ORDER BY r.date, r.roll_call_id, p.source;
