-- title: Where the sources differ on the roll calls of a topic and window
-- description: What a report or an analysis of a topic should disclose: the votes on which
--   a lower-precedence source published another vote than the one kept (kind vote:
--   vote_disagreements) and the roll calls whose rows do not add up to a published tally
--   (kind tally: tally_checks), among the roll calls about the topic (strength primary) in
--   the window: the view source_differences over the roll calls of topic_roll_calls. The
--   Python twin: alignment.analyses.differences and differences_sentence ("the sources differ
--   on N votes shown here").
-- parameters:
--   topic = "": named topic, Voeten code or subject heading; empty for every roll call
--   start_date = 1946-01-01: first day (YYYY-MM-DD)
--   end_date = 2100-12-31: last day (YYYY-MM-DD)
SELECT kind, symbol, date, iso3, kept, other, finding, roll_call_id
FROM source_differences
WHERE date BETWEEN $start_date::DATE AND $end_date::DATE
  AND ($topic = '' OR roll_call_id IN (SELECT roll_call_id FROM topic_roll_calls($topic)))
ORDER BY date, roll_call_id, kind DESC, iso3;
