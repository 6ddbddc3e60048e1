-- title: The upstream files the store was built from
-- description: Every file of the current build (source_files) with the reader that read it,
--   where it came from, its size, time and checksum, the roll calls and votes read from it and
--   what the reader noticed; files of one source read together report their counts on the
--   first file. store_meta gives the build time and the software versions.
-- parameters:
--   source = "": voeten, unvotes, undl_csv, undl_marcxml or unxml_json; empty for all
SELECT source, location, size, modified, roll_calls, votes, sha256, etag, notes
FROM source_files
WHERE $source = '' OR source = $source
ORDER BY source, location;
