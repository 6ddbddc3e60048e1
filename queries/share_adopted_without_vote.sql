-- title: Share of resolutions adopted without a vote, per session
-- description: Per session series (78, ES-11) where a source lists every resolution with
--   how it was adopted (coverage.without_vote not null: the UN's per-session JSON, sessions
--   74-80): resolutions adopted by a recorded vote (roll_calls, kind resolution, distinct
--   symbols), adopted without a vote (decisions_without_vote), the share without a vote, and
--   the numbers the sources do not account for (coverage.numbering_gaps: neither voted nor
--   listed, left out of the share). A topic restricts both counts to it (strength primary).
-- parameters:
--   topic = "": named topic (syria, ukraine ...); empty for all resolutions
WITH known AS (
    SELECT series, numbering_gaps FROM coverage
    WHERE source = 'store' AND without_vote IS NOT NULL
),
voted AS (
    SELECT series, count(DISTINCT symbol) AS n
    FROM roll_calls
    WHERE kind = 'resolution' AND symbol IS NOT NULL
      AND ($topic = '' OR roll_call_id IN (SELECT roll_call_id FROM topic_roll_calls($topic)))
    GROUP BY series
),
without AS (
    SELECT series, count(*) AS n FROM decisions_without_vote
    WHERE $topic = '' OR list_contains(topics, $topic)
    GROUP BY series
)
SELECT k.series,
       coalesce(v.n, 0) AS recorded_vote,
       coalesce(w.n, 0) AS without_vote,
       round(coalesce(w.n, 0) / nullif(coalesce(v.n, 0) + coalesce(w.n, 0), 0), 3) AS share_without_vote,
       k.numbering_gaps AS unaccounted
FROM known k
LEFT JOIN voted v USING (series)
LEFT JOIN without w USING (series)
ORDER BY regexp_matches(k.series, '^[0-9]+$') DESC, k.series;
