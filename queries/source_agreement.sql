-- title: How far the sources agree, pair by pair
-- description: For each pair of sources, the roll calls and votes both publish, how many of
--   those votes differ and the share that differ (source_agreement), beside the roll calls each
--   source publishes in all (roll_call_sources) and the votes of the pair recorded in
--   vote_disagreements.
SELECT s.source_a, s.source_b, s.shared_roll_calls, s.shared_votes, s.differing_votes,
       s.differing_votes / nullif(s.shared_votes, 0) AS differing_share,
       (SELECT count(DISTINCT roll_call_id) FROM roll_call_sources WHERE source = s.source_a)
           AS roll_calls_a,
       (SELECT count(DISTINCT roll_call_id) FROM roll_call_sources WHERE source = s.source_b)
           AS roll_calls_b,
       (SELECT count(*) FROM vote_disagreements d
         WHERE (d.kept_source = s.source_a AND d.other_source = s.source_b)
            OR (d.kept_source = s.source_b AND d.other_source = s.source_a))
           AS recorded_disagreements
FROM source_agreement s
ORDER BY s.shared_votes DESC, s.source_a, s.source_b;
