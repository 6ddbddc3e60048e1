-- title: Roll calls on a topic
-- description: Roll calls tagged with a topic in roll_call_topics, in a date window, with
--   their tallies. Topics are Voeten's issue codes (me, nu, di, hr, co, ec), UN Digital Library
--   subjects in capitals, or named topics (syria, palestine, ukraine, ...); the query
--   topic_counts lists them. A named topic means the roll calls about it (strength
--   primary); mentions = true adds those that only mention it (the column strength says
--   which; `alignment topics explain SYMBOL` says why).
-- parameters:
--   topic = syria: topic (roll_call_topics.topic)
--   start_date = 1946-01-01: first day (YYYY-MM-DD)
--   end_date = 2100-12-31: last day (YYYY-MM-DD)
--   mentions = false: true to add the roll calls that only mention the topic
SELECT r.symbol, r.date, r.session, r.kind, r.yes, r.no, r.abstain, r.important, t.strength,
       t.basis, r.title, r.roll_call_id
FROM roll_calls r
JOIN roll_call_topics t USING (roll_call_id)
WHERE t.topic = $topic
  AND ($mentions::BOOLEAN OR t.strength = 'primary')
  AND r.date BETWEEN $start_date::DATE AND $end_date::DATE
ORDER BY r.date, r.roll_call_id;
