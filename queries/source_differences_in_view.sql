-- title: Where the sources differ on the roll calls of a topic and window
-- description: What a report or an analysis of a topic should disclose: the votes on which
--   a lower-precedence source published another vote than the one kept (kind vote:
--   vote_disagreements) and the roll calls whose rows do not add up to a published tally
--   (kind tally: tally_checks), among the roll calls about the topic (strength primary) in
--   the window. The Python twin: alignment.analyses.differences and differences_sentence
--   ("the sources differ on N votes shown here").
-- parameters:
--   topic = "": named topic, Voeten code or subject heading; empty for every roll call
--   start_date = 1946-01-01: first day (YYYY-MM-DD)
--   end_date = 2100-12-31: last day (YYYY-MM-DD)
WITH shown AS (
    SELECT roll_call_id, symbol, date FROM roll_calls
    WHERE date BETWEEN $start_date::DATE AND $end_date::DATE
      AND ($topic = '' OR roll_call_id IN (SELECT roll_call_id FROM roll_call_topics
                                          WHERE topic = $topic AND strength = 'primary'))
)
SELECT 'vote' AS kind, s.symbol, s.date, d.iso3,
       d.kept_source || ': ' || d.kept_vote AS kept,
       d.other_source || ': ' || d.other_vote AS other,
       NULL AS finding, s.roll_call_id
FROM vote_disagreements d JOIN shown s USING (roll_call_id)
UNION ALL
SELECT 'tally', s.symbol, s.date, NULL,
       t.source || ' rows: ' || t.yes || '-' || t.no || '-' || t.abstain,
       t.tally_source || ' tally: ' || t.tally_yes || '-' || t.tally_no || '-' || t.tally_abstain,
       t.finding || ' by ' || (t.missing + t.excess), s.roll_call_id
FROM tally_checks t JOIN shown s USING (roll_call_id)
WHERE t.finding <> 'match'
ORDER BY date, roll_call_id, kind DESC, iso3;
