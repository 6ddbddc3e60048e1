-- title: Roll calls whose rows and published tallies disagree
-- description: Each source's rows, and the votes kept (source 'store'), counted against
--   every yes/no/abstain tally a source publishes (tally_checks), where they differ: a
--   source's rows short of its own tally (the UN's JSON lists 58 abstentions of
--   A/RES/77/293 and counts 59), an excerpt holding some rows of a roll call, two sources
--   publishing different tallies. missing: votes the rows lack to reach the tally; excess:
--   votes beyond it.
-- parameters:
--   source = "": whose rows (a source, or store); empty for all
SELECT r.symbol, r.date, t.source, t.yes, t.no, t.abstain, t.tally_source,
       t.tally_yes, t.tally_no, t.tally_abstain, t.missing, t.excess, t.finding, r.roll_call_id
FROM tally_checks t
JOIN roll_calls r USING (roll_call_id)
WHERE t.finding <> 'match' AND ($source = '' OR t.source = $source)
ORDER BY r.date, r.roll_call_id, t.source, t.tally_source;
