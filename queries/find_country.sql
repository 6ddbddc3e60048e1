-- title: Find a state's ISO3 code by name
-- description: States whose current name, or any name or code the sources use for them
--   (country_codes), contains the text (case-insensitive), with their UN membership dates and
--   predecessors. Every other query takes ISO3 codes.
-- parameters:
--   name = belarus: part of a name or a code
SELECT DISTINCT c.iso3, c.name, c.iso2, c.cow_code, c.un_member_from, c.un_member_to,
       c.predecessors, c.successors
FROM countries c
LEFT JOIN country_codes cc ON cc.iso3 = c.iso3
WHERE c.name ILIKE '%' || $name || '%'
   OR cc.code ILIKE '%' || $name || '%'
   OR c.iso3 = upper($name)
ORDER BY c.iso3;
