-- title: Agreement of two states over time, under each metric
-- description: Per calendar year (by = year) or session (by = session), over the roll calls on
--   which both states cast yes, no or abstain, unanimous roll calls dropped (Voeten's
--   defaults): n common roll calls; exact (share of identical votes); agree (Voeten's index,
--   mean of 1 - |x - y| / 2 with Y = 1, A = 2, N = 3); s_abs, s_sq (Signorino and Ritter's
--   S); Cohen's kappa and Scott's pi (Häge 2011) with absolute, squared and nominal
--   distances, NaN where undefined. Read from the stored view agreement_pairs, whose formulas
--   are those of alignment.metrics (alignment schema agreement_pairs).
-- parameters:
--   country = BLR: ISO3 code of one state
--   partner = RUS: ISO3 code of the other
--   by = year: year or session
SELECT period_type AS by, period, n,
       exact, agree, s_abs, s_sq, kappa_abs, kappa_sq, kappa_nominal, pi_abs, pi_sq, pi_nominal
FROM agreement_pairs
WHERE iso3_a = $country AND iso3_b = $partner AND period_type = $by
ORDER BY period;
