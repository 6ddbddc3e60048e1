-- title: Topics and how many roll calls carry each
-- description: Every topic of roll_call_topics with its scheme (voeten, subject or named),
--   the number of roll calls about it (strength primary), of those that only mention it, and
--   the first and last date. Use a topic with roll_calls_by_topic.
-- parameters:
--   scheme = "": voeten, subject or named; empty for all
SELECT t.scheme, t.topic,
       count(DISTINCT t.roll_call_id) FILTER (WHERE t.strength = 'primary') AS roll_calls,
       count(DISTINCT t.roll_call_id) FILTER (WHERE t.strength = 'mention') AS mentions,
       min(r.date) AS first_date, max(r.date) AS last_date
FROM roll_call_topics t
JOIN roll_calls r USING (roll_call_id)
WHERE $scheme = '' OR t.scheme = $scheme
GROUP BY t.scheme, t.topic
ORDER BY t.scheme, roll_calls DESC, t.topic;
