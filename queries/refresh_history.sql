-- title: Refresh history of the store
-- description: Every build of the store recorded in refresh_log, newest first: when it ran,
--   how long it took, what it said and the size of the store afterwards. Only builds are
--   logged in the store (a failed or no-op refresh leaves the store untouched); the last
--   attempt, whatever its outcome, is shown by `alignment status`. The files of the current
--   build are in source_files (query source_files).
SELECT refresh_id, started_at, finished_at,
       round(epoch(finished_at - started_at), 1) AS seconds,
       outcome, roll_calls, votes, sources, message
FROM refresh_log
ORDER BY refresh_id DESC;
