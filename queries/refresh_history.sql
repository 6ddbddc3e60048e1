-- title: Refresh history of the store
-- description: Every refresh recorded in refresh_log, newest first: when it ran, how long it
--   took, its outcome (updated, current, bad_data, temporary_failure, error), what it said and
--   the size of the store afterwards. The files of the current build are in source_files (query
--   source_files).
SELECT refresh_id, started_at, finished_at,
       round(epoch(finished_at - started_at), 1) AS seconds,
       outcome, roll_calls, votes, sources, message
FROM refresh_log
ORDER BY refresh_id DESC;
